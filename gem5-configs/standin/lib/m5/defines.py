"""Stand-in m5.defines: the build of the gem5 the stand-in stands for, an
X86 gem5.opt built without Ruby (gem5:build's default, like the shared
test binary): buildEnv["PROTOCOL"] is empty."""
buildEnv = {
    "BUILD_ISA": True,
    "USE_X86_ISA": True,
    "TARGET_ISA": "x86",
    "PROTOCOL": "",
    "RUBY": False,
}
