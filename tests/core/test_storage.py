"""The file store behind photos and uploads, on both backends (a local folder and S3-compatible
object storage through a local moto server): the same behaviour whichever is configured."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from central.core import storage
from central.core.storage import FileMissing, LocalStorage, S3Storage


def test_a_stored_file_reads_back_and_is_replaced_whole(file_store):
    file_store.put("photos/2026/05/a.jpg", b"first", "image/jpeg")
    assert file_store.get("photos/2026/05/a.jpg") == b"first"
    file_store.put("photos/2026/05/a.jpg", b"second", "image/jpeg")
    assert file_store.get("photos/2026/05/a.jpg") == b"second"
    assert file_store.exists("photos/2026/05/a.jpg")


def test_a_missing_file_is_reported_as_missing(file_store):
    assert not file_store.exists("photos/none.jpg")
    with pytest.raises(FileMissing):
        file_store.get("photos/none.jpg")
    with pytest.raises(FileMissing):
        file_store.response("photos/none.jpg", "image/jpeg")
    assert file_store.delete("photos/none.jpg") is False


def test_delete_removes_the_file_once(file_store):
    file_store.put("imports/x.upload", b"data")
    assert file_store.delete("imports/x.upload") is True
    assert not file_store.exists("imports/x.upload")
    assert file_store.delete("imports/x.upload") is False


def test_list_gives_every_file_under_a_prefix_with_size_and_time(file_store):
    file_store.put("photos/2026/01/b.jpg", b"bb")
    file_store.put("photos/2026/01/a.jpg", b"a")
    file_store.put("imports/c.upload", b"ccc")
    listed = list(file_store.list("photos/"))
    assert [f.key for f in listed] == ["photos/2026/01/a.jpg", "photos/2026/01/b.jpg"]
    assert [f.size for f in listed] == [1, 2]
    assert all(f.modified_at.tzinfo is not None for f in listed)
    assert {f.key for f in file_store.list()} == {
        "photos/2026/01/a.jpg",
        "photos/2026/01/b.jpg",
        "imports/c.upload",
    }


@pytest.mark.parametrize(
    "key", ["../outside.jpg", "photos/../../etc/passwd", "/etc/passwd", "photos/", "a b.jpg", ""]
)
def test_keys_that_could_leave_the_store_are_refused(file_store, key):
    with pytest.raises(ValueError):
        file_store.put(key, b"x")
    with pytest.raises(ValueError):
        file_store.get(key)


def test_the_response_streams_the_file_with_its_type_and_length(file_store, app):
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 10, 10)).save(out, "JPEG")
    file_store.put("photos/p.jpg", out.getvalue(), "image/jpeg")
    with app.test_request_context():
        response = file_store.response("photos/p.jpg", "image/jpeg")
        response.direct_passthrough = False
        assert response.mimetype == "image/jpeg"
        assert response.content_length == len(out.getvalue())
        assert response.get_data() == out.getvalue()
        response.close()


def test_a_file_stored_in_a_rolled_back_transaction_is_removed(file_store, db):
    db.session.begin_nested()  # the test's own transaction stays open
    storage.store(db.session, "photos/rolled-back.jpg", b"x", "image/jpeg")
    assert file_store.exists("photos/rolled-back.jpg")
    db.session.rollback()
    db.session.rollback()  # the outermost rollback is the one that drops the file
    assert not file_store.exists("photos/rolled-back.jpg")


def test_a_file_stored_in_a_committed_transaction_stays(file_store, db):
    storage.store(db.session, "photos/committed.jpg", b"x", "image/jpeg")
    db.session.commit()
    db.session.rollback()
    assert file_store.get("photos/committed.jpg") == b"x"


def test_the_store_is_chosen_by_storage_url(tmp_path):
    s3 = storage.from_settings("s3://central-files/prod/photos/", str(tmp_path))
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == ("central-files", "prod/photos")
    assert s3.object_key("photos/a.jpg") == "prod/photos/photos/a.jpg"
    local = storage.from_settings(None, str(tmp_path))
    assert isinstance(local, LocalStorage) and local.root == tmp_path.resolve()
    assert isinstance(storage.from_settings(f"file://{tmp_path}", "x"), LocalStorage)
    with pytest.raises(RuntimeError):
        storage.from_settings("ftp://host/x", str(tmp_path))


@pytest.mark.parametrize("file_store", ["s3"], indirect=True)
def test_s3_objects_live_under_the_prefix_only(file_store):
    file_store.put("photos/a.jpg", b"a")
    keys = [
        item["Key"]
        for item in file_store.client.list_objects_v2(Bucket=file_store.bucket)["Contents"]
    ]
    assert keys == ["photos-store/photos/a.jpg"]
