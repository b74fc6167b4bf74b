package hostbench

import (
	"strings"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
)

// Control is one recommendation of the benchmark.
type Control struct {
	ID    string
	Title string
	// Section is the benchmark section, "5 Container runtime".
	Section string
	// Level is the CIS profile level, 1 or 2.
	Level int
	// Assessment is the label the benchmark gives the control: "Automated",
	// "Manual", or for some daemon controls the older "Scored"/"Not Scored".
	Assessment string
	// Scope is what the control's results are about: the host, each
	// container or each image.
	Scope       ResourceKind
	Remediation string
	eval        func(e *env) []finding
}

// Automated reports whether the benchmark marks the control as automated
// (or, in its older wording, scored).
func (c *Control) Automated() bool {
	return c.Assessment == "Automated" || c.Assessment == "Scored"
}

// Controls returns the catalogue in benchmark order.
func Controls() []Control {
	out := make([]Control, len(catalog))
	copy(out, catalog)
	return out
}

// ControlByID finds a control.
func ControlByID(id string) (Control, bool) {
	c, ok := controlByID[id]
	if !ok {
		return Control{}, false
	}
	return *c, true
}

var sections = map[string]string{
	"1": "1 Host configuration",
	"2": "2 Docker daemon configuration",
	"3": "3 Docker daemon configuration files",
	"4": "4 Container images and build file",
	"5": "5 Container runtime",
	"6": "6 Docker security operations",
	"7": "7 Docker Swarm configuration",
	"8": "8 Docker Enterprise configuration",
}

func ctl(id string, level int, assessment string, scope ResourceKind, title, remediation string, eval func(e *env) []finding) Control {
	sec, _, _ := strings.Cut(id, ".")
	return Control{ID: id, Title: title, Section: sections[sec], Level: level, Assessment: assessment,
		Scope: scope, Remediation: remediation, eval: eval}
}

const (
	auto   = "Automated"
	manual = "Manual"
	scored = "Scored"
	host   = KindHost
	cont   = KindContainer
	image  = KindImage
)

func auditCtl(id string, level int, what string, targets func(e *env) []string) Control {
	return ctl(id, level, auto, host, "auditd records changes to "+what,
		"Add an auditd watch such as `-w <path> -p wa -k docker` for "+what+
			" to a file in /etc/audit/rules.d/, then load it with augenrules --load.",
		auditCheck(targets))
}

const fileOwnerFix = "Give the file to root with chown root:root <path>."
const fileModeFix = "Remove the extra permission bits with chmod (for example chmod %s <path>)."

func ownerCtl(id, role, what string, o owner, fix string) Control {
	return ctl(id, 1, auto, host, what+" is owned by root", fix, fileCheck(role, what, o, 0))
}

func modeCtl(id, role, what string, mask hostsnapshot.Mode) Control {
	return ctl(id, 1, auto, host, what+" has mode "+strings.TrimPrefix(mask.String(), "0")+" or stricter",
		strings.ReplaceAll(fileModeFix, "%s", strings.TrimPrefix(mask.String(), "0")), fileCheck(role, what, rootAny, mask))
}

var catalog = []Control{
	ctl("1.1.1", 1, auto, host, "The Docker data root is on its own filesystem",
		"Move the data root onto a dedicated partition or logical volume and mount it there, so that full image or container storage cannot fill the host's root filesystem.",
		checkDataRootPartition),
	ctl("1.1.2", 1, auto, host, "Only trusted users can control the Docker daemon",
		"Remove everyone who does not administer this host from the docker group (gpasswd -d <user> docker); membership is equivalent to root.",
		checkDockerGroup),
	auditCtl("1.1.3", 1, "the dockerd binary", dockerdBinary),
	auditCtl("1.1.4", 1, "/run/containerd", fixed("/run/containerd")),
	auditCtl("1.1.5", 1, "the Docker data root", dataRoot),
	auditCtl("1.1.6", 1, "/etc/docker", fixed("/etc/docker")),
	auditCtl("1.1.7", 2, "the docker.service unit", unitPaths("docker.service")),
	auditCtl("1.1.8", 2, "the containerd socket", roleOr("containerd.sock", "/run/containerd/containerd.sock")),
	auditCtl("1.1.9", 2, "the docker.socket unit", unitPaths("docker.socket")),
	auditCtl("1.1.10", 2, "/etc/default/docker", fixed("/etc/default/docker")),
	auditCtl("1.1.11", 2, "/etc/docker/daemon.json", roleOr("daemon.json", "/etc/docker/daemon.json")),
	auditCtl("1.1.12", 2, "/etc/containerd/config.toml", fixed("/etc/containerd/config.toml")),
	auditCtl("1.1.13", 2, "/etc/sysconfig/docker", fixed("/etc/sysconfig/docker")),
	auditCtl("1.1.14", 2, "/usr/bin/containerd", fixed("/usr/bin/containerd")),
	auditCtl("1.1.15", 2, "/usr/bin/containerd-shim", fixed("/usr/bin/containerd-shim")),
	auditCtl("1.1.16", 2, "/usr/bin/containerd-shim-runc-v1", fixed("/usr/bin/containerd-shim-runc-v1")),
	auditCtl("1.1.17", 2, "/usr/bin/containerd-shim-runc-v2", fixed("/usr/bin/containerd-shim-runc-v2")),
	auditCtl("1.1.18", 2, "/usr/bin/runc", fixed("/usr/bin/runc")),
	ctl("1.2.1", 1, manual, host, "The host operating system is hardened",
		"Harden the host with the CIS benchmark for its distribution and keep only what the container workload needs on it.",
		checkHostHardened),
	ctl("1.2.2", 1, manual, host, "The Docker Engine is a supported, patched release",
		"Upgrade the engine packages to a release your vendor still ships security fixes for.",
		checkEngineVersion),

	ctl("2.1", 1, manual, host, "The daemon runs without root where it can",
		"Where workloads allow, run the engine in rootless mode (dockerd-rootless-setuptool.sh install) under a dedicated user.",
		checkRootless),
	ctl("2.2", 1, scored, host, "Containers on the default bridge cannot talk to each other",
		`Set "icc": false in daemon.json (or pass --icc=false) and let containers that must talk share a user-defined network.`,
		checkICC),
	ctl("2.3", 1, scored, host, "The daemon logs at info level",
		`Remove debug settings and set "log-level": "info" in daemon.json, then restart dockerd.`,
		checkLogLevel),
	ctl("2.4", 1, scored, host, "Docker may manage iptables rules",
		`Drop --iptables=false and "iptables": false so the engine keeps its firewall rules in step with containers.`,
		checkIptables),
	ctl("2.5", 1, scored, host, "No insecure registries are configured",
		`Remove entries from "insecure-registries" and --insecure-registry; give private registries a certificate the engine trusts instead.`,
		checkInsecureRegistries),
	ctl("2.6", 1, scored, host, "The aufs storage driver is not used",
		"Switch the storage driver to overlay2 (export images first; the data root is rebuilt).",
		checkAufs),
	ctl("2.7", 1, scored, host, "A TCP API endpoint requires TLS with client certificates",
		"Serve the API over TCP only with tlsverify, tlscacert, tlscert and tlskey set, or listen on the unix socket alone.",
		checkTLS),
	ctl("2.8", 1, manual, host, "Daemon-wide default ulimits are set",
		`Set "default-ulimits" in daemon.json (for example nofile and nproc) to values that suit the workloads.`,
		checkDefaultUlimits),
	ctl("2.9", 2, scored, host, "User namespace remapping is on",
		`Set "userns-remap": "default" in daemon.json so that root in a container maps to an unprivileged host user; check volume ownership afterwards.`,
		checkUserns),
	ctl("2.10", 2, scored, host, "The default cgroup parent is left alone or deliberately chosen",
		"Remove cgroup-parent from the daemon settings unless containers must live under a specific cgroup.",
		checkCgroupParent),
	ctl("2.11", 2, scored, host, "The devicemapper base device size is not changed",
		"Remove dm.basesize from the storage options unless a larger base size is required.",
		checkBaseSize),
	ctl("2.12", 2, scored, host, "An authorization plugin guards the API",
		`Install an authorization plugin and list it in "authorization-plugins" so that API requests are checked per user.`,
		checkAuthz),
	ctl("2.13", 2, scored, host, "Container logs are shipped off the host",
		`Set "log-driver" to a remote driver (syslog, journald forwarded, fluentd, gelf, awslogs, splunk) so that logs survive the host.`,
		checkRemoteLogging),
	ctl("2.14", 1, scored, host, "The daemon stops containers from gaining privileges by default",
		`Set "no-new-privileges": true in daemon.json so setuid binaries cannot raise privileges in any container.`,
		checkDaemonNoNewPrivs),
	ctl("2.15", 1, scored, host, "Live restore is on",
		`Set "live-restore": true in daemon.json so containers keep running while dockerd restarts or upgrades.`,
		checkLiveRestore),
	ctl("2.16", 1, scored, host, "The userland proxy is off",
		`Set "userland-proxy": false in daemon.json; published ports then use kernel NAT rules instead of a proxy process.`,
		checkUserlandProxy),
	ctl("2.17", 2, manual, host, "A daemon-wide seccomp profile suits the workloads",
		`Keep seccomp on; where workloads need a stricter filter, point "seccomp-profile" in daemon.json at a reviewed profile.`,
		checkSeccompProfile),
	ctl("2.18", 1, scored, host, "Experimental features are off",
		`Remove "experimental": true and --experimental from production daemons.`,
		checkExperimental),

	ownerCtl("3.1", "docker.service", "the docker.service unit file", rootRoot, fileOwnerFix),
	modeCtl("3.2", "docker.service", "the docker.service unit file", 0o644),
	ownerCtl("3.3", "docker.socket", "the docker.socket unit file", rootRoot, fileOwnerFix),
	modeCtl("3.4", "docker.socket", "the docker.socket unit file", 0o644),
	ownerCtl("3.5", "etc-docker", "the /etc/docker directory", rootRoot, fileOwnerFix),
	modeCtl("3.6", "etc-docker", "the /etc/docker directory", 0o755),
	ownerCtl("3.7", "registry-cert", "registry certificate files under /etc/docker/certs.d", rootAny, "Give the certificate files to root with chown root:root."),
	modeCtl("3.8", "registry-cert", "registry certificate files under /etc/docker/certs.d", 0o444),
	ownerCtl("3.9", "tlscacert", "the daemon's TLS CA certificate", rootRoot, fileOwnerFix),
	modeCtl("3.10", "tlscacert", "the daemon's TLS CA certificate", 0o444),
	ownerCtl("3.11", "tlscert", "the daemon's TLS server certificate", rootRoot, fileOwnerFix),
	modeCtl("3.12", "tlscert", "the daemon's TLS server certificate", 0o444),
	ownerCtl("3.13", "tlskey", "the daemon's TLS private key", rootRoot, fileOwnerFix),
	modeCtl("3.14", "tlskey", "the daemon's TLS private key", 0o400),
	ownerCtl("3.15", "docker.sock", "the Docker socket", rootDocker, "Give the socket to root and the docker group: chown root:docker <socket> (the docker.socket unit's SocketGroup keeps it so)."),
	modeCtl("3.16", "docker.sock", "the Docker socket", 0o660),
	ownerCtl("3.17", "daemon.json", "daemon.json", rootRoot, fileOwnerFix),
	modeCtl("3.18", "daemon.json", "daemon.json", 0o644),
	ownerCtl("3.19", "default-docker", "/etc/default/docker", rootRoot, fileOwnerFix),
	modeCtl("3.20", "default-docker", "/etc/default/docker", 0o644),
	modeCtl("3.21", "sysconfig-docker", "/etc/sysconfig/docker", 0o644),
	ownerCtl("3.22", "sysconfig-docker", "/etc/sysconfig/docker", rootRoot, fileOwnerFix),
	ownerCtl("3.23", "containerd.sock", "the containerd socket", rootRoot, fileOwnerFix),
	modeCtl("3.24", "containerd.sock", "the containerd socket", 0o660),

	ctl("4.1", 1, auto, cont, "Containers run as a non-root user",
		"Create an unprivileged user in the image and switch to it with USER, or start the container with --user <uid>:<gid>.",
		checkContainerUser),
	ctl("4.2", 1, manual, host, "Containers are built only from trusted base images",
		"Pull base images only from registries you control or vet, and pin them by digest.",
		manualNote("which base images are trusted is an organisational decision; review the images tab")),
	ctl("4.3", 1, manual, host, "Images carry no unneeded packages",
		"Build from minimal bases (distroless, slim, scratch) and install only what the application runs.",
		manualNote("needs the image contents; Palisade's image inventory lists every package")),
	ctl("4.4", 1, manual, host, "Images are scanned and rebuilt with security patches",
		"Scan images on every push and rebuild them when their base or packages get fixes.",
		manualNote("covered by Palisade's image scanning; check the findings of the images these containers run")),
	ctl("4.5", 2, auto, host, "Docker Content Trust is on for clients",
		"Export DOCKER_CONTENT_TRUST=1 for every shell and service that pulls images (for example in /etc/environment).",
		checkContentTrust),
	ctl("4.6", 1, auto, image, "Images define a HEALTHCHECK",
		"Add a HEALTHCHECK instruction to the image that probes the service it runs.",
		checkImageHealthcheck),
	ctl("4.7", 1, manual, image, "Package index updates are not run in a layer of their own",
		"Refresh the package index and install in one RUN step (apt-get update && apt-get install ...), so that cached layers cannot carry a stale index.",
		checkUpdateAlone),
	ctl("4.8", 2, manual, host, "setuid and setgid bits are removed from images",
		"Strip setuid and setgid bits in the Dockerfile (find / -perm /6000 -type f -exec chmod a-s {} +) unless a binary needs them.",
		manualNote("needs the image file systems; review it with an image scan")),
	ctl("4.9", 1, manual, image, "COPY is used instead of ADD",
		"Use COPY for local files; fetch remote files with a verified download in a RUN step instead of ADD.",
		checkAddInstruction),
	ctl("4.10", 1, manual, image, "No secrets are stored in images",
		"Pass secrets at run time (swarm secrets, mounted files, build secrets) instead of ENV, ARG or files in layers.",
		checkImageSecrets),
	ctl("4.11", 2, manual, host, "Only verified packages are installed",
		"Install packages only from repositories whose signatures the package manager checks.",
		manualNote("depends on the build process; review the Dockerfiles")),
	ctl("4.12", 2, manual, host, "Signed artifacts are validated",
		"Verify image and artifact signatures (cosign, notation) before they are deployed.",
		manualNote("depends on the deployment pipeline; review how signatures are checked")),

	ctl("5.1", 1, auto, host, "Swarm mode is off unless needed",
		"Leave the swarm with docker swarm leave on hosts that do not run swarm services.",
		checkSwarm),
	ctl("5.2", 1, auto, cont, "Containers run under an AppArmor profile where the host uses AppArmor",
		"Run containers with the default docker-default profile or a tailored one (--security-opt apparmor=<profile>); never unconfined.",
		checkAppArmor),
	ctl("5.3", 2, auto, cont, "Containers get SELinux labels where the host uses SELinux",
		`Start dockerd with "selinux-enabled": true and run containers with a suitable label (--security-opt label=type:<type>).`,
		checkSELinux),
	ctl("5.4", 1, auto, cont, "Containers add no Linux capabilities beyond the defaults",
		"Remove --cap-add options the workload does not need; better still, --cap-drop ALL and add back only what it uses.",
		checkCapabilities),
	ctl("5.5", 1, auto, cont, "Containers are not privileged",
		"Run without --privileged; grant the specific capability or device the workload needs instead.",
		checkPrivileged),
	ctl("5.6", 1, auto, cont, "Host system directories are not mounted read-write",
		"Mount host system directories read-only (:ro) if at all, or copy the needed files into a volume.",
		checkSensitiveMounts),
	ctl("5.7", 1, auto, cont, "No SSH server runs inside containers",
		"Remove sshd from the image; use docker exec or the orchestrator for access.",
		checkSSHD),
	ctl("5.8", 1, auto, cont, "No host ports below 1024 are published",
		"Publish the service on a host port of 1024 or above and put a load balancer or proxy in front if a low port is required.",
		checkPrivilegedPorts),
	ctl("5.9", 1, manual, cont, "Only needed ports are published",
		"Publish only the ports clients use; drop -P and unused -p options.",
		checkNeededPorts),
	ctl("5.10", 1, auto, cont, "Containers do not share the host's network namespace",
		"Run without --network host and publish the ports the service needs.",
		namespaceCheck("network", func(h *hostsnapshot.HostConfig) string { return h.NetworkMode })),
	ctl("5.11", 1, auto, cont, "Containers have a memory limit",
		"Give every container a memory limit with --memory sized to its workload.",
		checkMemory),
	ctl("5.12", 1, auto, cont, "Containers have a CPU limit or priority",
		"Set --cpus (or --cpu-shares) so one container cannot starve the others.",
		checkCPU),
	ctl("5.13", 1, auto, cont, "Containers' root filesystems are read-only",
		"Run with --read-only and give the paths the application writes a volume or --tmpfs.",
		checkReadonlyRoot),
	ctl("5.14", 1, auto, cont, "Published ports are bound to a specific host address",
		"Publish on a chosen address (-p 10.0.0.5:8080:8080) instead of every IPv4 and IPv6 address.",
		checkBindInterface),
	ctl("5.15", 1, auto, cont, "Restart retries are capped at 5",
		"Use --restart on-failure:5 (or fewer) instead of always, unless-stopped or unlimited on-failure.",
		checkRestartPolicy),
	ctl("5.16", 1, auto, cont, "Containers do not share the host's process namespace",
		"Run without --pid host.",
		namespaceCheck("process", func(h *hostsnapshot.HostConfig) string { return h.PidMode })),
	ctl("5.17", 1, auto, cont, "Containers do not share the host's IPC namespace",
		"Run without --ipc host.",
		namespaceCheck("IPC", func(h *hostsnapshot.HostConfig) string { return h.IpcMode })),
	ctl("5.18", 1, manual, cont, "Host devices are passed in only when needed",
		"Remove --device options the workload does not use, and limit the rest to the permissions it needs (r, w, m).",
		checkDevices),
	ctl("5.19", 1, manual, cont, "Per-container ulimits override the defaults only where needed",
		"Drop --ulimit options that are not needed; rely on the daemon-wide defaults.",
		checkUlimits),
	ctl("5.20", 1, auto, cont, "Mount propagation is not shared",
		"Mount volumes with private or slave propagation instead of shared or rshared.",
		checkPropagation),
	ctl("5.21", 1, auto, cont, "Containers do not share the host's UTS namespace",
		"Run without --uts host.",
		namespaceCheck("UTS", func(h *hostsnapshot.HostConfig) string { return h.UTSMode })),
	ctl("5.22", 1, auto, cont, "The default seccomp profile is not turned off",
		"Remove --security-opt seccomp=unconfined (and --privileged); write a custom profile if a syscall is missing.",
		checkSeccomp),
	ctl("5.23", 2, auto, cont, "docker exec is not used with --privileged",
		"Stop running docker exec --privileged; grant the capability the task needs to a dedicated container instead.",
		checkExecPrivileged),
	ctl("5.24", 2, manual, cont, "docker exec is not used as root",
		"Run docker exec with --user set to an unprivileged user.",
		checkExecRoot),
	ctl("5.25", 1, auto, cont, "Containers use the default cgroup parent",
		"Remove --cgroup-parent unless the container must live in a specific cgroup.",
		checkContainerCgroup),
	ctl("5.26", 1, auto, cont, "Containers cannot gain new privileges",
		"Run with --security-opt no-new-privileges, or set it daemon-wide in daemon.json.",
		checkNoNewPrivs),
	ctl("5.27", 1, auto, cont, "Container health is checked at run time",
		"Give the container a health check (--health-cmd) or add a HEALTHCHECK to its image.",
		checkHealth),
	ctl("5.28", 1, manual, host, "Containers run the latest build of their image",
		"Pull images before (re)starting containers and pin them by digest in deployments.",
		manualNote("comparing running image digests with the registry's tags needs the registry; review them in the images tab")),
	ctl("5.29", 1, auto, cont, "Containers have a PIDs limit",
		"Set --pids-limit to a number the workload never reaches in normal use.",
		checkPidsLimit),
	ctl("5.30", 2, manual, cont, "Containers do not use the default bridge docker0",
		"Attach containers to user-defined networks (docker network create) instead of the default bridge.",
		checkDocker0),
	ctl("5.31", 1, auto, cont, "Containers do not share the host's user namespace",
		"Run without --userns host.",
		namespaceCheck("user", func(h *hostsnapshot.HostConfig) string { return h.UsernsMode })),
	ctl("5.32", 1, auto, cont, "The Docker socket is not mounted into containers",
		"Remove the socket mount; give tools that need the API a narrowly scoped proxy instead of the full socket.",
		checkDockerSocketMount),

	ctl("6.1", 1, manual, host, "Image sprawl is avoided",
		"Remove images no container uses (docker image prune -a) on a schedule.",
		checkImageSprawl),
	ctl("6.2", 1, manual, host, "Container sprawl is avoided",
		"Remove stopped containers that are no longer needed (docker container prune).",
		checkContainerSprawl),

	ctl("7.1", 1, auto, host, "The swarm has the minimum number of managers it needs",
		"Keep an odd number of managers, three or five for most clusters; demote the rest with docker node demote.",
		managerOnly(checkManagers)),
	ctl("7.2", 1, auto, host, "The swarm listens on a specific interface",
		"Initialise or join the swarm with --listen-addr and --advertise-addr set to a chosen interface.",
		swarmOnly(checkSwarmListener)),
	ctl("7.3", 1, auto, host, "Overlay networks are encrypted",
		"Recreate overlay networks with --opt encrypted.",
		swarmOnly(checkOverlayEncryption)),
	ctl("7.4", 1, manual, host, "Swarm secrets hold the services' secrets",
		"Move passwords and keys into docker secret objects and mount them into services.",
		managerOnly(checkSecrets)),
	ctl("7.5", 1, auto, host, "Swarm managers auto-lock",
		"Turn on auto-lock with docker swarm update --autolock=true and keep the unlock key offline.",
		managerOnly(checkAutolock)),
	ctl("7.6", 1, manual, host, "The swarm unlock key is rotated",
		"Rotate the unlock key on a schedule with docker swarm unlock-key --rotate.",
		swarmOnly(manualNote("key rotation history is not visible to the agent; check when the unlock key last changed"))),
	ctl("7.7", 1, manual, host, "Node certificates are rotated as the policy requires",
		"Set the node certificate lifetime with docker swarm update --cert-expiry to match the rotation policy.",
		managerOnly(checkNodeCertExpiry)),
	ctl("7.8", 1, manual, host, "The swarm CA certificate is rotated",
		"Rotate the root CA with docker swarm ca --rotate on a schedule.",
		swarmOnly(manualNote("CA rotation history is not visible to the agent; check when the root CA last changed"))),
	ctl("7.9", 1, manual, host, "Management and data traffic are separated",
		"Join nodes with --data-path-addr on a separate interface from --advertise-addr.",
		swarmOnly(manualNote("compare the nodes' advertise and data path addresses"))),

	ctl("8.1.1", 1, auto, host, "MKE uses LDAP authentication", "Configure LDAP in MKE's authentication settings.", section8),
	ctl("8.1.2", 1, auto, host, "MKE uses external certificates", "Install certificates from your own CA in MKE.", section8),
	ctl("8.1.3", 1, "Not Scored", host, "Client certificate bundles are enforced for unprivileged users", "Require client bundles for non-admin users in MKE.", section8),
	ctl("8.1.4", 1, "Not Scored", host, "MKE role-based access policies are configured", "Define MKE roles and grants for every team.", section8),
	ctl("8.1.5", 1, auto, host, "MKE only runs signed images", "Turn on content trust enforcement in MKE.", section8),
	ctl("8.1.6", 1, auto, host, "MKE limits sessions per user to 3 or fewer", "Set the per-user session limit in MKE to 3 or fewer.", section8),
	ctl("8.1.7", 1, auto, host, "MKE sessions last 15 minutes or less", "Set MKE's session lifetime to 15 minutes and the renewal threshold to 0.", section8),
	ctl("8.2.1", 1, auto, host, "MSR scans images for vulnerabilities", "Turn on image scanning in MSR.", section8),
}

var controlByID = func() map[string]*Control {
	m := make(map[string]*Control, len(catalog))
	for i := range catalog {
		m[catalog[i].ID] = &catalog[i]
	}
	return m
}()
