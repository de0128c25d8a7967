// Modes of what threadline creates in its data folder: the database, keys and captured mail
// hold customers' messages and secrets, so they are the owning user's alone.
export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;
