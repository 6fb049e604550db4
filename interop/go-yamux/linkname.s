// Empty on purpose: its presence lets quirks.go declare body-less functions bound with
// //go:linkname to unexported hashicorp/yamux methods.
