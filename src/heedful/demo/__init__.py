"""Demo data for `heedful demo` and the benchmarks: a believable, multilingual help desk built
in bulk. Not a Django app; the content lives in content.toml beside the code."""
