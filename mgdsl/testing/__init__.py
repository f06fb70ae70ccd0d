"""Testing aids shipped with mgdsl: the fuzzer of the front end and backends (`fuzz`)."""
