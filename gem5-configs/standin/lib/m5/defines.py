"""Stand-in m5.defines: the build of the gem5 the stand-in stands for, a
gem5.opt built without Ruby (gem5:build's default, like the shared test
binary): buildEnv["PROTOCOL"] is empty. It is an X86 build, or an ARM one
when STANDIN_ISA=arm (gem5-arm.opt, the stand-in for GEM5_ARCH=ARM)."""
import os

_ARM = os.environ.get("STANDIN_ISA") == "arm"

buildEnv = {
    "BUILD_ISA": True,
    "USE_X86_ISA": not _ARM,
    "USE_ARM_ISA": _ARM,
    "TARGET_ISA": "arm" if _ARM else "x86",
    "PROTOCOL": "",
    "RUBY": False,
}
