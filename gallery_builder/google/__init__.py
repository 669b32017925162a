"""Upload to Google Photos: sign-in (OAuth paste-back, appendonly scope), the Photos Library client with
backoff, and the upload engine that keeps the ledger. Shared by `gallery google` and the sidecar."""
