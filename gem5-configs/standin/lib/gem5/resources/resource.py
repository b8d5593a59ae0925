"""Stand-in gem5.resources.resource: local files as resources."""
import os


class _Local:
    def __init__(self, local_path, **kwargs):
        if not os.path.exists(local_path):
            raise FileNotFoundError("resource %s does not exist" % local_path)
        self._path = local_path

    def get_local_path(self):
        return self._path


class KernelResource(_Local):
    pass


class DiskImageResource(_Local):
    def __init__(self, local_path, root_partition=None, **kwargs):
        super().__init__(local_path)
        self._root_partition = root_partition


class BootloaderResource(_Local):
    pass


class BinaryResource(_Local):
    pass
