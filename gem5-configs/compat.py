# Works around what gem5 v24.0's standard library gets wrong on the gem5
# binaries vswarmu-mage builds and runs.
#
# Classic-cache-only builds: `gem5:build` compiles gem5 without Ruby
# (RUBY=n: the configs use classic caches, and the build is shorter). On
# such a binary buildEnv["PROTOCOL"] is empty, and v24.0's requires() --
# which every SimpleCore calls to check the ISA -- asks for the coherence
# protocol anyway and raises "NotImplementedError: Protocol '' not
# recognized." before the board exists. requires() compares the protocol
# only when one is required, so on a binary without Ruby it is given a
# protocol that matches none.

from types import SimpleNamespace

NO_PROTOCOL = SimpleNamespace(name="NONE", value="none (built without Ruby)")


def has_ruby() -> bool:
    """Whether this gem5 was built with a Ruby coherence protocol."""
    from m5.defines import buildEnv

    return bool(str(buildEnv.get("PROTOCOL", "") or "").strip())


def allow_builds_without_ruby() -> None:
    """Lets the standard library's requires() run on a gem5 without Ruby."""
    if has_ruby():
        return
    import gem5.utils.requires as requires

    requires.get_runtime_coherence_protocol = lambda: NO_PROTOCOL
