"""Reading source files of every format into documents and their passages."""
