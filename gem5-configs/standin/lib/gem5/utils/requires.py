"""Stand-in gem5.utils.requires."""


def requires(isa_required=None, coherence_protocol_required=None, kvm_required=False):
    return None
