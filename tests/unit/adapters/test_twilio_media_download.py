"""Downloading one MMS media file: credentials, the host rule, redirects, the size cap, the timeout."""
from __future__ import annotations

import pytest

from hotline.adapters.twilio_media import MediaRefused, MediaUnavailable, download
from tests.support.media import JPEG, PNG, Answer, twilio_media  # noqa: F401
from tests.support.stack import ACCOUNT_SID, TOKEN

PATH = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM1/Media/ME1"


def get(media, path: str = PATH, max_bytes: int = 1 << 20, **kw):
    return download(media.url(path), account_sid=ACCOUNT_SID, auth_token=TOKEN, max_bytes=max_bytes,
                    extra_base=media.base, **kw)


def test_a_picture_is_downloaded_with_the_accounts_credentials(twilio_media):  # noqa: F811
    twilio_media.serve(PATH, Answer(200, "image/jpeg", JPEG))
    got = get(twilio_media)
    assert (got.content_type, got.data) == ("image/jpeg", JPEG)
    with pytest.raises(MediaUnavailable, match="401"):  # the stand-in checks them
        download(twilio_media.url(PATH), account_sid=ACCOUNT_SID, auth_token="wrong", max_bytes=1 << 20,
                 extra_base=twilio_media.base)


def test_only_twilios_host_or_the_configured_stand_in_is_asked(twilio_media):  # noqa: F811
    twilio_media.serve(PATH, Answer())
    for url in (twilio_media.url(PATH), "https://evil.example/x.png", "http://api.twilio.com/x"):
        with pytest.raises(MediaRefused) as refused:
            download(url, account_sid=ACCOUNT_SID, auth_token=TOKEN, max_bytes=1 << 20, extra_base=None)
        assert refused.value.reason == "host"
    assert twilio_media.hits == []


def test_a_redirect_must_stay_on_https(twilio_media):  # noqa: F811
    twilio_media.serve(PATH, Answer(307, "text/plain", b"", location="http://127.0.0.1:9/plain"))
    with pytest.raises(MediaRefused) as refused:
        get(twilio_media)
    assert refused.value.reason == "host"


def test_the_size_cap_stops_the_download(twilio_media):  # noqa: F811
    big = PNG * 50
    twilio_media.serve(PATH, Answer(200, "image/png", big))  # said up front (Content-Length)
    with pytest.raises(MediaRefused) as refused:
        get(twilio_media, max_bytes=len(PNG))
    assert refused.value.reason == "too_large"
    twilio_media.serve(PATH, Answer(200, "image/png", big, length=False))  # found out while streaming
    with pytest.raises(MediaRefused) as refused:
        get(twilio_media, max_bytes=len(PNG))
    assert refused.value.reason == "too_large"
    assert get(twilio_media, max_bytes=len(big)).data == big  # at the cap exactly: kept


def test_a_stalled_download_times_out(twilio_media):  # noqa: F811
    twilio_media.serve(PATH, Answer(200, "image/png", PNG, stall=2.0))
    with pytest.raises(MediaUnavailable):
        get(twilio_media, timeout=0.3)


def test_an_unreachable_host_is_worth_another_try():
    with pytest.raises(MediaUnavailable):
        download("http://127.0.0.1:9/x", account_sid=ACCOUNT_SID, auth_token=TOKEN, max_bytes=100,
                 extra_base="http://127.0.0.1:9")
