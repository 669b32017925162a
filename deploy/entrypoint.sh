#!/bin/sh
# Container entry point: check that the data home is writable and the photos are readable by the
# user the container runs as (PUID/PGID), with advice when not, then run the command given.
set -eu

data="${GALLERY_HOME:-/data}"
photos="${GALLERY_PHOTOS:-/photos}"
who="uid $(id -u) gid $(id -g)"

if ! mkdir -p "$data" 2>/dev/null || ! ( : > "$data/.write-test" ) 2>/dev/null; then
    echo "gallery: cannot write the data folder $data as $who." >&2
    echo "  Fix on the NAS: give the data folder to that user, e.g. 'sudo chown -R PUID:PGID /path/to/gallery-data'," >&2
    echo "  or set PUID/PGID in .env to the owner of that folder (see 'ls -ln' on the NAS)." >&2
    exit 78
fi
rm -f "$data/.write-test"

fs_type="$(stat -f -c %T "$data" 2>/dev/null || echo unknown)"
case "$fs_type" in
    nfs*|smb*|cifs|fuse*)
        echo "gallery: warning: $data is on a network file system ($fs_type). SQLite in WAL mode needs a" >&2
        echo "  local disk: put the data folder on the NAS's own volume, not on a mounted share." >&2
        ;;
esac

if [ -d "$photos" ] && ! ls "$photos" >/dev/null 2>&1; then
    echo "gallery: warning: cannot list the photos at $photos as $who (permission denied)." >&2
    echo "  Give that user read access to the photo share (NAS control panel: shared folder permissions)," >&2
    echo "  or set PUID/PGID in .env to a user who can read it. Nothing is indexed until then." >&2
fi

exec "$@"
