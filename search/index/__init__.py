"""The index folder: building it, storing and loading it, updating it in place."""
