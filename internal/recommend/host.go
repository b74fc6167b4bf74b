package recommend

// HostDetails is the stored detail of a host assessment: the controls that
// fail and are not exempt, each with what it fails for.
type HostDetails struct {
	Benchmark       string           `json:"benchmark"`
	SnapshotID      int64            `json:"snapshot_id"`
	FailingControls []FailingControl `json:"failing_controls"`
	// ExemptResults counts failed results left out because an exemption
	// covers them.
	ExemptResults int `json:"exempt_results"`
}

// FailingControl is one control that fails on a host.
type FailingControl struct {
	ControlID string `json:"control_id"`
	Title     string `json:"title"`
	Section   string `json:"section"`
	// Host is true when the control fails for the host itself.
	Host bool `json:"host,omitempty"`
	// Containers and Images are the resources the control fails for.
	Containers []AffectedResource `json:"containers,omitempty"`
	Images     []AffectedResource `json:"images,omitempty"`
}

// AffectedResource names a container or image a control fails for.
type AffectedResource struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}
