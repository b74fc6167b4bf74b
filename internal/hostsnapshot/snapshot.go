package hostsnapshot

import "time"

// SchemaVersion is the version of the snapshot format this package writes
// and the only one it accepts.
const SchemaVersion = 1

// Item is one collected value together with whether it could be read.
// Value is the zero value unless Read.State is ReadOK.
type Item[T any] struct {
	Read  `json:"read"`
	Value T `json:"value,omitzero"`
}

// Got returns an Item holding v, read successfully.
func Got[T any](v T) Item[T] {
	return Item[T]{Read: Read{State: ReadOK}, Value: v}
}

// Failed returns an Item that could not be read.
func Failed[T any](r Read) Item[T] {
	return Item[T]{Read: r}
}

// Snapshot is everything the agent saw on one Docker host at one time.
type Snapshot struct {
	SchemaVersion int       `json:"schema_version"`
	AgentVersion  string    `json:"agent_version"`
	CollectedAt   time.Time `json:"collected_at"`
	Hostname      string    `json:"hostname"`
	// HostRoot is where the agent saw the host's root filesystem ("/" when
	// it runs on the host itself). Paths in the snapshot are host paths.
	HostRoot string `json:"host_root"`
	Engine   Engine `json:"engine"`
	Host     Host   `json:"host"`
}

// Engine is what the Docker Engine API reports.
type Engine struct {
	// Socket is the address the agent reached the engine on.
	Socket     string                 `json:"socket"`
	Info       Item[*Info]            `json:"info"`
	Version    Item[*Version]         `json:"version"`
	Containers Item[[]Container]      `json:"containers"`
	Images     Item[[]Image]          `json:"images"`
	Networks   Item[[]Network]        `json:"networks"`
	Plugins    Item[[]Plugin]         `json:"plugins"`
	Swarm      Item[*SwarmDetails]    `json:"swarm"`
	Execs      Item[*ExecHistory]     `json:"execs"`
	Processes  Item[[]ContainerProcs] `json:"processes"`
}

// Host is what the agent read from the host's files and /proc.
type Host struct {
	DaemonConfig Item[*DaemonConfig] `json:"daemon_config"`
	Dockerd      Item[*Process]      `json:"dockerd"`
	Files        []File              `json:"files"`
	Audit        Item[*AuditRules]   `json:"audit"`
	Mounts       Item[[]Mount]       `json:"mounts"`
	DockerGroup  Item[*Group]        `json:"docker_group"`
	Listeners    Item[[]Listener]    `json:"listeners"`
	Security     Item[*LSM]          `json:"security"`
	// Environment holds the Docker-related variables of /etc/environment
	// (DOCKER_CONTENT_TRUST and friends), names mapped to values.
	Environment Item[map[string]string] `json:"environment"`
}

// Info is the part of GET /info that the benchmark and the console use.
// Field names follow the Engine API so that its JSON decodes directly.
type Info struct {
	ID                 string             `json:"ID"`
	Name               string             `json:"Name"`
	ServerVersion      string             `json:"ServerVersion"`
	OperatingSystem    string             `json:"OperatingSystem"`
	OSType             string             `json:"OSType"`
	OSVersion          string             `json:"OSVersion,omitempty"`
	KernelVersion      string             `json:"KernelVersion"`
	Architecture       string             `json:"Architecture"`
	NCPU               int                `json:"NCPU"`
	MemTotal           int64              `json:"MemTotal"`
	Driver             string             `json:"Driver"`
	DriverStatus       [][2]string        `json:"DriverStatus,omitempty"`
	LoggingDriver      string             `json:"LoggingDriver"`
	CgroupDriver       string             `json:"CgroupDriver"`
	CgroupVersion      string             `json:"CgroupVersion,omitempty"`
	DockerRootDir      string             `json:"DockerRootDir"`
	Containers         int                `json:"Containers"`
	ContainersRunning  int                `json:"ContainersRunning"`
	ContainersPaused   int                `json:"ContainersPaused"`
	ContainersStopped  int                `json:"ContainersStopped"`
	Images             int                `json:"Images"`
	Debug              bool               `json:"Debug"`
	ExperimentalBuild  bool               `json:"ExperimentalBuild"`
	LiveRestoreEnabled bool               `json:"LiveRestoreEnabled"`
	SecurityOptions    []string           `json:"SecurityOptions"`
	Plugins            PluginsInfo        `json:"Plugins"`
	RegistryConfig     *RegistryConfig    `json:"RegistryConfig,omitempty"`
	Swarm              SwarmInfo          `json:"Swarm"`
	DefaultRuntime     string             `json:"DefaultRuntime,omitempty"`
	Runtimes           map[string]Runtime `json:"Runtimes,omitempty"`
	Isolation          string             `json:"Isolation,omitempty"`
	InitBinary         string             `json:"InitBinary,omitempty"`
	Labels             []string           `json:"Labels,omitempty"`
	Warnings           []string           `json:"Warnings,omitempty"`
	ContainerdCommit   *Commit            `json:"ContainerdCommit,omitempty"`
	RuncCommit         *Commit            `json:"RuncCommit,omitempty"`
	IndexServerAddress string             `json:"IndexServerAddress,omitempty"`
	HTTPProxy          string             `json:"HttpProxy,omitempty"`
	HTTPSProxy         string             `json:"HttpsProxy,omitempty"`
	NoProxy            string             `json:"NoProxy,omitempty"`
	CDISpecDirs        []string           `json:"CDISpecDirs,omitempty"`
}

// Commit is a component's commit as /info reports it.
type Commit struct {
	ID string `json:"ID"`
}

// Runtime is one OCI runtime known to the engine.
type Runtime struct {
	Path string `json:"path"`
}

// PluginsInfo lists the plugins /info reports by kind.
type PluginsInfo struct {
	Volume        []string `json:"Volume"`
	Network       []string `json:"Network"`
	Authorization []string `json:"Authorization"`
	Log           []string `json:"Log"`
}

// RegistryConfig is the engine's registry configuration.
type RegistryConfig struct {
	InsecureRegistryCIDRs []string             `json:"InsecureRegistryCIDRs"`
	IndexConfigs          map[string]IndexInfo `json:"IndexConfigs"`
	Mirrors               []string             `json:"Mirrors"`
}

// IndexInfo is one registry the engine knows about.
type IndexInfo struct {
	Name     string   `json:"Name"`
	Mirrors  []string `json:"Mirrors"`
	Secure   bool     `json:"Secure"`
	Official bool     `json:"Official"`
}

// SwarmInfo is the swarm part of /info.
type SwarmInfo struct {
	NodeID           string       `json:"NodeID"`
	NodeAddr         string       `json:"NodeAddr"`
	LocalNodeState   string       `json:"LocalNodeState"`
	ControlAvailable bool         `json:"ControlAvailable"`
	Error            string       `json:"Error,omitempty"`
	RemoteManagers   []Peer       `json:"RemoteManagers"`
	Nodes            int          `json:"Nodes,omitempty"`
	Managers         int          `json:"Managers,omitempty"`
	Cluster          *ClusterInfo `json:"Cluster,omitempty"`
}

// Peer is a swarm manager address.
type Peer struct {
	NodeID string `json:"NodeID"`
	Addr   string `json:"Addr"`
}

// ClusterInfo is the swarm cluster as a manager reports it in /info.
type ClusterInfo struct {
	ID   string      `json:"ID"`
	Spec ClusterSpec `json:"Spec"`
}

// ClusterSpec holds the swarm settings the benchmark looks at.
type ClusterSpec struct {
	CAConfig struct {
		NodeCertExpiry time.Duration `json:"NodeCertExpiry"`
	} `json:"CAConfig"`
	EncryptionConfig struct {
		AutoLockManagers bool `json:"AutoLockManagers"`
	} `json:"EncryptionConfig"`
}

// Version is GET /version.
type Version struct {
	Platform      struct{ Name string } `json:"Platform"`
	Version       string                `json:"Version"`
	APIVersion    string                `json:"ApiVersion"`
	MinAPIVersion string                `json:"MinAPIVersion,omitempty"`
	GitCommit     string                `json:"GitCommit"`
	GoVersion     string                `json:"GoVersion"`
	Os            string                `json:"Os"`
	Arch          string                `json:"Arch"`
	KernelVersion string                `json:"KernelVersion,omitempty"`
	Experimental  bool                  `json:"Experimental,omitempty"`
	BuildTime     string                `json:"BuildTime,omitempty"`
	Components    []Component           `json:"Components,omitempty"`
}

// Component is one part of the engine (Engine, containerd, runc, docker-init).
type Component struct {
	Name    string            `json:"Name"`
	Version string            `json:"Version"`
	Details map[string]string `json:"Details,omitempty"`
}

// Container is the part of GET /containers/{id}/json that the benchmark
// and the console use. Config.Env holds variable names only: the agent
// drops the values before sending, since they often carry secrets.
type Container struct {
	ID              string          `json:"Id"`
	Name            string          `json:"Name"`
	Created         string          `json:"Created"`
	Path            string          `json:"Path"`
	Args            []string        `json:"Args"`
	State           ContainerState  `json:"State"`
	Image           string          `json:"Image"`
	Driver          string          `json:"Driver,omitempty"`
	Platform        string          `json:"Platform,omitempty"`
	RestartCount    int             `json:"RestartCount"`
	AppArmorProfile string          `json:"AppArmorProfile"`
	ProcessLabel    string          `json:"ProcessLabel,omitempty"`
	MountLabel      string          `json:"MountLabel,omitempty"`
	ExecIDs         []string        `json:"ExecIDs"`
	HostConfig      HostConfig      `json:"HostConfig"`
	Mounts          []MountPoint    `json:"Mounts"`
	Config          ContainerConfig `json:"Config"`
	NetworkSettings NetworkSettings `json:"NetworkSettings"`
}

// ContainerState is a container's run state.
type ContainerState struct {
	Status     string  `json:"Status"`
	Running    bool    `json:"Running"`
	Paused     bool    `json:"Paused"`
	Restarting bool    `json:"Restarting"`
	OOMKilled  bool    `json:"OOMKilled"`
	Dead       bool    `json:"Dead"`
	Pid        int     `json:"Pid"`
	ExitCode   int     `json:"ExitCode"`
	Error      string  `json:"Error,omitempty"`
	StartedAt  string  `json:"StartedAt"`
	FinishedAt string  `json:"FinishedAt"`
	Health     *Health `json:"Health,omitempty"`
}

// Health is a container's health-check state (without its log).
type Health struct {
	Status        string `json:"Status"`
	FailingStreak int    `json:"FailingStreak"`
}

// HostConfig is a container's host-side configuration.
type HostConfig struct {
	Binds           []string                 `json:"Binds"`
	NetworkMode     string                   `json:"NetworkMode"`
	PortBindings    map[string][]PortBinding `json:"PortBindings"`
	RestartPolicy   RestartPolicy            `json:"RestartPolicy"`
	AutoRemove      bool                     `json:"AutoRemove"`
	CapAdd          []string                 `json:"CapAdd"`
	CapDrop         []string                 `json:"CapDrop"`
	CgroupnsMode    string                   `json:"CgroupnsMode,omitempty"`
	IpcMode         string                   `json:"IpcMode"`
	PidMode         string                   `json:"PidMode"`
	UTSMode         string                   `json:"UTSMode"`
	UsernsMode      string                   `json:"UsernsMode"`
	Privileged      bool                     `json:"Privileged"`
	PublishAllPorts bool                     `json:"PublishAllPorts"`
	ReadonlyRootfs  bool                     `json:"ReadonlyRootfs"`
	SecurityOpt     []string                 `json:"SecurityOpt"`
	Runtime         string                   `json:"Runtime,omitempty"`
	CPUShares       int64                    `json:"CpuShares"`
	NanoCPUs        int64                    `json:"NanoCpus"`
	CPUQuota        int64                    `json:"CpuQuota"`
	CPUPeriod       int64                    `json:"CpuPeriod"`
	CpusetCpus      string                   `json:"CpusetCpus"`
	Memory          int64                    `json:"Memory"`
	MemorySwap      int64                    `json:"MemorySwap"`
	CgroupParent    string                   `json:"CgroupParent"`
	Devices         []Device                 `json:"Devices"`
	PidsLimit       *int64                   `json:"PidsLimit"`
	Ulimits         []Ulimit                 `json:"Ulimits"`
	LogConfig       LogConfig                `json:"LogConfig"`
}

// PortBinding is one host address and port a container port is published on.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// RestartPolicy is a container's restart policy.
type RestartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount int    `json:"MaximumRetryCount"`
}

// Device is a host device passed into a container.
type Device struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}

// Ulimit is a per-container resource limit.
type Ulimit struct {
	Name string `json:"Name"`
	Soft int64  `json:"Soft"`
	Hard int64  `json:"Hard"`
}

// LogConfig is a container's logging driver.
type LogConfig struct {
	Type string `json:"Type"`
}

// MountPoint is one mount of a container.
type MountPoint struct {
	Type        string `json:"Type"`
	Name        string `json:"Name,omitempty"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Driver      string `json:"Driver,omitempty"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
}

// ContainerConfig is a container's (or an image's) runtime configuration.
type ContainerConfig struct {
	Hostname     string              `json:"Hostname,omitempty"`
	User         string              `json:"User"`
	Env          []string            `json:"Env"`
	Cmd          []string            `json:"Cmd"`
	Entrypoint   []string            `json:"Entrypoint"`
	Image        string              `json:"Image"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Labels       map[string]string   `json:"Labels"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Healthcheck  *Healthcheck        `json:"Healthcheck,omitempty"`
}

// Healthcheck is a configured health check.
type Healthcheck struct {
	Test     []string      `json:"Test"`
	Interval time.Duration `json:"Interval,omitempty"`
	Timeout  time.Duration `json:"Timeout,omitempty"`
	Retries  int           `json:"Retries,omitempty"`
}

// NetworkSettings is a container's network state.
type NetworkSettings struct {
	Ports    map[string][]PortBinding   `json:"Ports"`
	Networks map[string]EndpointSummary `json:"Networks"`
}

// EndpointSummary is a container's attachment to one network.
type EndpointSummary struct {
	NetworkID string `json:"NetworkID"`
	IPAddress string `json:"IPAddress"`
}

// Image is one local image with its inspect data, history and whether a
// container uses it.
type Image struct {
	ID          string          `json:"Id"`
	RepoTags    []string        `json:"RepoTags"`
	RepoDigests []string        `json:"RepoDigests"`
	Created     string          `json:"Created"`
	Size        int64           `json:"Size"`
	Config      ContainerConfig `json:"Config"`
	// InUse is true when at least one container, running or not, was
	// created from this image; ContainerIDs lists them.
	InUse        bool          `json:"InUse"`
	ContainerIDs []string      `json:"ContainerIDs,omitempty"`
	History      Item[[]Layer] `json:"History"`
}

// Layer is one entry of an image's history.
type Layer struct {
	Created   int64  `json:"Created"`
	CreatedBy string `json:"CreatedBy"`
	Size      int64  `json:"Size"`
	Comment   string `json:"Comment,omitempty"`
}

// Network is one engine network.
type Network struct {
	ID         string            `json:"Id"`
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Scope      string            `json:"Scope"`
	EnableIPv6 bool              `json:"EnableIPv6"`
	Internal   bool              `json:"Internal"`
	Ingress    bool              `json:"Ingress"`
	Options    map[string]string `json:"Options"`
	Labels     map[string]string `json:"Labels"`
}

// Plugin is one managed engine plugin.
type Plugin struct {
	ID      string   `json:"Id"`
	Name    string   `json:"Name"`
	Enabled bool     `json:"Enabled"`
	Types   []string `json:"Types"`
}

// SwarmDetails is what a swarm manager reports beyond /info. The unlock key
// itself is never collected, only whether one exists.
type SwarmDetails struct {
	Managers       int           `json:"managers"`
	Nodes          int           `json:"nodes"`
	Secrets        int           `json:"secrets"`
	AutoLock       bool          `json:"auto_lock"`
	HasUnlockKey   bool          `json:"has_unlock_key"`
	NodeCertExpiry time.Duration `json:"node_cert_expiry"`
}

// ExecHistory is the exec sessions the agent saw, from containers'
// ExecIDs and from exec events on the Docker event stream since Since.
type ExecHistory struct {
	Since    time.Time     `json:"since"`
	Sessions []ExecSession `json:"sessions"`
}

// ExecSession is one exec into a container. Inspected is false when the
// session was gone before the agent could ask about it; Privileged and User
// are then unknown, and Command comes from the event.
type ExecSession struct {
	ID          string    `json:"id"`
	ContainerID string    `json:"container_id"`
	Command     []string  `json:"command"`
	Privileged  bool      `json:"privileged"`
	User        string    `json:"user"`
	Inspected   bool      `json:"inspected"`
	SeenAt      time.Time `json:"seen_at"`
}

// ContainerProcs is the process list of one running container
// (GET /containers/{id}/top), one command line per process.
type ContainerProcs struct {
	ContainerID string   `json:"container_id"`
	Read        Read     `json:"read"`
	Commands    []string `json:"commands"`
}

// DaemonConfig is the daemon configuration file.
type DaemonConfig struct {
	Path       string         `json:"path"`
	Raw        string         `json:"raw"`
	Parsed     map[string]any `json:"parsed"`
	ParseError string         `json:"parse_error,omitempty"`
}

// Process is the running dockerd.
type Process struct {
	PID  int      `json:"pid"`
	UID  int      `json:"uid"`
	Args []string `json:"args"`
	// FoundBy says how the agent picked the process ("listening socket",
	// "only dockerd process").
	FoundBy string `json:"found_by"`
}

// File is the owner, group and mode of one path the benchmark names.
// Read.State is ReadMissing when the path does not exist.
type File struct {
	Path string `json:"path"`
	// Role says why the file was collected: "docker.service",
	// "docker.socket", "docker.sock", "containerd.sock", "etc-docker",
	// "daemon.json", "default-docker", "sysconfig-docker", "registry-cert",
	// "tlscacert", "tlscert", "tlskey", "audit-target".
	Role  string `json:"role"`
	Read  Read   `json:"read"`
	Type  string `json:"type,omitempty"`
	Mode  Mode   `json:"mode"`
	UID   int    `json:"uid"`
	GID   int    `json:"gid"`
	Owner string `json:"owner,omitempty"`
	Group string `json:"group,omitempty"`
}

// AuditRules is the audit rule set: the loaded rules from `auditctl -l`, or
// else the lines of the rules files (Source "files"), comments removed.
type AuditRules struct {
	Source string   `json:"source"`
	Files  []string `json:"files,omitempty"`
	Rules  []string `json:"rules"`
}

// Mount is one line of the host's mount table.
type Mount struct {
	MountPoint string `json:"mount_point"`
	Root       string `json:"root,omitempty"`
	FSType     string `json:"fs_type"`
	Source     string `json:"source"`
	Options    string `json:"options,omitempty"`
}

// Group is a host group and its members (secondary members from /etc/group
// and users whose primary group it is, from /etc/passwd).
type Group struct {
	Name    string   `json:"name"`
	GID     int      `json:"gid"`
	Members []string `json:"members"`
}

// Listener is one listening TCP socket of the host.
type Listener struct {
	Proto   string `json:"proto"`
	Address string `json:"address"`
	Port    int    `json:"port"`
}

// LSM is the host's Linux security module state.
type LSM struct {
	// AppArmor is true when the kernel has AppArmor enabled.
	AppArmor Item[bool] `json:"apparmor"`
	// SELinux is "enforcing", "permissive" or "disabled".
	SELinux Item[string] `json:"selinux"`
}
