"""The tamper-evident record: Merkle hashing and proofs, signed notes, the audit."""
