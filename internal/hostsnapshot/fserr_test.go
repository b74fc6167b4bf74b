package hostsnapshot

import "io/fs"

// fsErr is an error that matches fs.ErrNotExist or fs.ErrPermission.
type fsErr struct {
	err  error
	kind string
}

func (e *fsErr) Error() string { return e.err.Error() }

func (e *fsErr) Is(target error) bool {
	return (e.kind == "notexist" && target == fs.ErrNotExist) || (e.kind == "perm" && target == fs.ErrPermission)
}
