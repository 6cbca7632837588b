"""Local simulator of the china.org.cn "Off the Wire" section, for the demo, tests and benchmarks."""
