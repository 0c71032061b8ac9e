"""Build tarballs member by member, hostile ones included: one copy for the unit and the hostile intake tests."""
import io
import tarfile


def make_tar(path, members, mode="w:gz", tar_format=tarfile.PAX_FORMAT):
    """members: (TarInfo fields dict, bytes or None) pairs, written in order; returns the path."""
    with tarfile.open(str(path), mode, format=tar_format) as tar:
        for fields, data in members:
            fields = dict(fields)
            info = tarfile.TarInfo(fields.pop("name"))
            for key, value in fields.items():
                setattr(info, key, value)
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return str(path)
