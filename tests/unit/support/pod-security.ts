/**
 * The Pod Security Standards' `restricted` level (which includes `baseline`), written from the
 * standard's rules (kubernetes.io/docs/concepts/security/pod-security-standards), as a check of a pod
 * spec: every rule a pod breaks, one line each, or none.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- pod specs as registered, untyped */

const baselineCapabilities = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);
const safeSysctls = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);
const seLinuxTypes = new Set([
  "",
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
]);
const restrictedVolumeSources = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

function seLinuxViolations(where: string, options: any): string[] {
  if (!options) return [];
  const problems: string[] = [];
  if (!seLinuxTypes.has(options.type ?? "")) problems.push(`${where}: seLinuxOptions.type ${options.type}`);
  if (options.user) problems.push(`${where}: seLinuxOptions.user is set`);
  if (options.role) problems.push(`${where}: seLinuxOptions.role is set`);
  return problems;
}

function appArmorViolations(where: string, profile: any): string[] {
  if (profile?.type === undefined || ["RuntimeDefault", "Localhost"].includes(profile.type)) return [];
  return [`${where}: appArmorProfile ${profile.type}`];
}

/** Every `restricted` rule the pod breaks (empty when it passes). */
export function restrictedViolations(pod: any, annotations: Record<string, string> = {}): string[] {
  const problems: string[] = [];
  const podContext = pod.securityContext ?? {};
  const containers: any[] = [
    ...(pod.initContainers ?? []),
    ...(pod.containers ?? []),
    ...(pod.ephemeralContainers ?? []),
  ];

  // baseline
  if (podContext.windowsOptions?.hostProcess) problems.push("pod: windowsOptions.hostProcess");
  for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (pod[field]) problems.push(`pod: ${field}`);
  }
  for (const volume of pod.volumes ?? []) {
    if (volume.hostPath) problems.push(`volume ${volume.name}: hostPath`);
    const sources = Object.keys(volume).filter((key) => key !== "name");
    for (const source of sources) {
      if (!restrictedVolumeSources.has(source)) problems.push(`volume ${volume.name}: type ${source}`);
    }
  }
  problems.push(...appArmorViolations("pod", podContext.appArmorProfile));
  for (const [key, value] of Object.entries(annotations)) {
    if (
      key.startsWith("container.apparmor.security.beta.kubernetes.io/") &&
      value !== "runtime/default" &&
      !value.startsWith("localhost/")
    ) {
      problems.push(`annotation ${key}: ${value}`);
    }
  }
  problems.push(...seLinuxViolations("pod", podContext.seLinuxOptions));
  for (const sysctl of podContext.sysctls ?? []) {
    if (!safeSysctls.has(sysctl.name)) problems.push(`pod: sysctl ${sysctl.name}`);
  }

  // restricted, pod level
  const podSeccomp = podContext.seccompProfile?.type;
  if (podSeccomp === "Unconfined") problems.push("pod: seccompProfile Unconfined");
  if (podContext.runAsUser === 0) problems.push("pod: runAsUser 0");

  for (const container of containers) {
    const where = `container ${container.name}`;
    const context = container.securityContext ?? {};
    // baseline
    if (context.windowsOptions?.hostProcess) problems.push(`${where}: windowsOptions.hostProcess`);
    if (context.privileged) problems.push(`${where}: privileged`);
    for (const port of container.ports ?? []) {
      if (port.hostPort) problems.push(`${where}: hostPort ${port.hostPort}`);
    }
    problems.push(...appArmorViolations(where, context.appArmorProfile));
    problems.push(...seLinuxViolations(where, context.seLinuxOptions));
    if (context.procMount !== undefined && context.procMount !== "Default") {
      problems.push(`${where}: procMount ${context.procMount}`);
    }
    // restricted
    if (context.allowPrivilegeEscalation !== false)
      problems.push(`${where}: allowPrivilegeEscalation not false`);
    const runAsNonRoot = context.runAsNonRoot ?? podContext.runAsNonRoot;
    if (runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot not true`);
    if (context.runAsUser === 0) problems.push(`${where}: runAsUser 0`);
    const seccomp = context.seccompProfile?.type ?? podSeccomp;
    if (!["RuntimeDefault", "Localhost"].includes(seccomp))
      problems.push(`${where}: seccompProfile ${seccomp}`);
    const capabilities = context.capabilities ?? {};
    if (!(capabilities.drop ?? []).includes("ALL")) problems.push(`${where}: capabilities do not drop ALL`);
    for (const added of capabilities.add ?? []) {
      if (added !== "NET_BIND_SERVICE") problems.push(`${where}: adds capability ${added}`);
      if (!baselineCapabilities.has(added)) problems.push(`${where}: adds non-baseline capability ${added}`);
    }
  }
  return problems;
}
