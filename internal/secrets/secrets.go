// Package secrets seals stored credentials (registry passwords, tokens,
// webhook secrets) with AES-256-GCM under a key derived from
// PALISADE_SECRET_KEY, so a database dump alone does not reveal them.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// version prefixes every sealed value, so the scheme can change later
// without guessing how old values were sealed.
const version byte = 1

// ErrCannotOpen means a value was sealed under another key or was altered.
var ErrCannotOpen = errors.New("cannot decrypt stored secret: PALISADE_SECRET_KEY differs from the one it was stored with, or the value was altered")

// Box seals and opens values with one key.
type Box struct {
	aead cipher.AEAD
}

// New derives the encryption key from the configured secret.
func New(secretKey string) (*Box, error) {
	if len(secretKey) < 32 {
		return nil, errors.New("secret key must be at least 32 characters")
	}
	key, err := hkdf.Key(sha256.New, []byte(secretKey), nil, "palisade stored credentials v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext. context binds the value to its place (such as
// "registry:7:credentials"), so a sealed value copied to another row does
// not open there.
func (b *Box) Seal(plaintext []byte, context string) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("secrets: no randomness: " + err.Error())
	}
	out := append([]byte{version}, nonce...)
	return b.aead.Seal(out, nonce, plaintext, []byte(context))
}

// Open decrypts a value made by Seal with the same context.
func (b *Box) Open(sealed []byte, context string) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return nil, ErrCannotOpen
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(context))
	if err != nil {
		return nil, ErrCannotOpen
	}
	return plain, nil
}
