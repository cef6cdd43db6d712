"""Task attachments (SPEC 10.3, issue 16): upload, list, download through the access rules, delete own — and the
bad input: empty, over the limit, names with folders or control characters, executable types."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import TaskAttachment
from tests.factories import CampaignFactory, TaskFactory

pytestmark = pytest.mark.django_db

# The smallest valid PNG (1 × 1 pixel).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)


@pytest.fixture
def task(cast):
    campaign = CampaignFactory(actor=cast.lead, team=cast.team, code="WD-2027")
    return TaskFactory(campaign=campaign, actor=cast.lead, title="主視覺 Key visual", owner=cast.member)


def url(task) -> str:
    return f"/api/v1/tasks/{task.pk}/attachments/"


def upload(api, user, task, name, content, content_type="application/octet-stream"):
    return api(user).post(url(task), {"file": SimpleUploadedFile(name, content, content_type)}, format="multipart")


def stored_files() -> list[str]:
    return [os.path.join(d, f) for d, _dirs, files in os.walk(settings.MEDIA_ROOT) for f in files]


def test_a_teammate_attaches_a_png_and_every_reader_downloads_it_inline(api, cast, task):
    response = upload(api, cast.member, task, "主視覺.png", PNG, "image/png")
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == {"id", "filename", "size", "content_type", "uploaded_by", "created_at", "url"}
    assert data["filename"] == "主視覺.png" and data["size"] == len(PNG) and data["content_type"] == "image/png"
    assert data["uploaded_by"] == cast.member.pk
    for reader in (cast.viewer, cast.lead, cast.executive):
        got = api(reader).get(data["url"])
        assert got.status_code == 200 and got["Content-Type"] == "image/png"
        assert got["X-Content-Type-Options"] == "nosniff" and b"".join(got.streaming_content) == PNG
    assert api(cast.outsider).get(data["url"]).status_code == 404
    assert api(cast.outsider).get(url(task)).status_code == 404
    assert api().get(data["url"]).status_code == 401
    assert [a["id"] for a in api(cast.viewer).get(url(task)).json()["results"]] == [data["id"]]


@pytest.mark.parametrize(
    "name, content_type",
    [("invoice.html", "text/html"), ("setup.exe", "application/x-msdownload"), ("logo.svg", "image/svg+xml"),
     ("run.sh", "text/x-sh")],
)  # fmt: skip
def test_anything_but_a_plain_image_downloads_as_octet_stream_never_inline(api, cast, task, name, content_type):
    data = upload(api, cast.member, task, name, b"<script>alert(1)</script>", content_type).json()
    got = api(cast.viewer).get(data["url"])
    assert got["Content-Type"] == "application/octet-stream"
    assert got["Content-Disposition"].startswith("attachment;")


def test_names_with_folders_and_control_characters_are_cleaned(api, cast, task):
    data = upload(api, cast.member, task, "../../etc/re\x07port\x1b.pdf", b"%PDF-1.4").json()
    assert data["filename"] == "report.pdf" and data["content_type"] == "application/pdf"
    stored = TaskAttachment.objects.get().file.name
    assert stored.startswith(f"tasks/{task.pk}/") and ".." not in stored


def test_empty_and_oversized_files_are_refused_and_nothing_is_kept(api, cast, task, settings):
    before = set(stored_files())
    empty = upload(api, cast.member, task, "empty.txt", b"")
    assert empty.status_code == 400 and "empty" in str(empty.json()["file"])
    settings.ATTACHMENT_MAX_BYTES = 1024
    big = upload(api, cast.member, task, "big.bin", b"x" * 2048)
    assert big.status_code == 400 and "at most" in str(big.json()["file"])
    missing = api(cast.member).post(url(task), {}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()
    assert not TaskAttachment.objects.exists() and set(stored_files()) == before


def test_viewers_cannot_attach_and_only_the_uploader_deletes(api, cast, task, django_capture_on_commit_callbacks):
    assert upload(api, cast.viewer, task, "a.png", PNG).status_code == 403
    assert upload(api, cast.outsider, task, "a.png", PNG).status_code == 404
    data = upload(api, cast.member, task, "a.png", PNG).json()
    path = TaskAttachment.objects.get().file.path
    detail = f"{url(task)}{data['id']}/"
    assert api(cast.lead).delete(detail).status_code == 403
    assert api(cast.viewer).delete(detail).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the deletion is committed
        assert api(cast.member).delete(detail).status_code == 204
    assert not TaskAttachment.objects.exists() and not os.path.exists(path)


def test_the_task_page_uploads_previews_and_deletes(client, cast, task):
    client.force_login(cast.member)
    page_url = reverse("campaigns:task_detail", args=[task.campaign_id, task.pk])
    add = reverse("campaigns:task_attachment_add", args=[task.campaign_id, task.pk])
    response = client.post(add, {"file": SimpleUploadedFile("kv.png", PNG, "image/png")})
    assert response.status_code == 302 and response["Location"].endswith("#attachments")
    attachment = TaskAttachment.objects.get()
    page = client.get(page_url).content.decode()
    assert f'<img src="/api/v1/tasks/{task.pk}/attachments/{attachment.pk}/download/" alt="kv.png"' in page
    refused = client.post(add, {"file": SimpleUploadedFile("empty.txt", b"")}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400 and "The file is empty." in refused.content.decode()
    delete = reverse("campaigns:task_attachment_delete", args=[task.campaign_id, task.pk, attachment.pk])
    client.force_login(cast.lead)
    assert client.post(delete).status_code == 403
    client.force_login(cast.member)
    assert client.post(delete).status_code == 302 and not TaskAttachment.objects.exists()
