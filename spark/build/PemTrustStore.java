// Turns a PEM CA bundle into a PKCS#12 trust store for Maven's JVM (Java 17 reads no PEM trust
// store). Used only in spark/Dockerfile's `jars` stage when the optional `ca-bundle` build secret is
// given; run with the source launcher: java PemTrustStore.java <bundle.pem> <out.p12> <password>.
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

public class PemTrustStore {
  public static void main(String[] args) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    int count = 0;
    try (FileInputStream in = new FileInputStream(args[0])) {
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + count++, certificate);
      }
    }
    if (count == 0) throw new IllegalArgumentException(args[0] + " holds no PEM certificate");
    try (FileOutputStream out = new FileOutputStream(args[1])) {
      store.store(out, args[2].toCharArray());
    }
    System.out.println("trust store: " + count + " CA certificate(s) from " + args[0]);
  }
}
