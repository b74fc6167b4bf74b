// Package registries manages the registries Palisade is connected to: it
// validates settings, seals credentials and webhook secrets before they
// reach the store, and opens them again for the scanner. The webhook URL
// and secret it prints are what an administrator pastes into the registry.
package registries
