package datapipeline.validator;

/** The schema registry did not answer (network error or 5xx): an outage, the batch is retried. */
public final class RegistryUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RegistryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
