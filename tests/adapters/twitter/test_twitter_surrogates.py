"""A tweet with a lone surrogate (a broken emoji) is stored with U+FFFD, never answered 500.

X retries a delivery it got a 5xx for, and the tweets after the broken one in the same body
would be lost with it; the poll would stop at that page for good. So the character is
replaced and the rest stored, by the webhook and by the poll.
"""

from __future__ import annotations

from sqlalchemy import select

from casestore.models import Complaint
from dispatcher.twitter_poll import run_poll

BROKEN = "Jalan rusak \ud83d di Kampung Bale, Kec. Lut Tawar, sudah 3 bulan."
USER = {"id_str": "1212333444555666777", "screen_name": "sitiaminah_tkn", "name": "Siti \udc00"}


def tweet(tweet_id: str, text: str) -> dict:
    return {
        "id_str": tweet_id,
        "user": USER,
        "text": f"@lapor1708 {text}",
        "created_at": "Thu Nov 27 02:13:43 +0000 2026",
    }


def descriptions(runtime) -> dict[str, str]:
    with runtime.sessions() as session:
        return {c.reply_to: c.description for c in session.scalars(select(Complaint))}


def test_a_webhook_tweet_with_a_lone_surrogate_is_stored_and_so_are_the_tweets_after_it(
    client, runtime, tw, work
):
    body = {
        "for_user_id": tw.our_id,
        "tweet_create_events": [
            tweet("1864250011223344001", BROKEN),
            tweet("1864250011223344002", "Lampu jalan mati di depan Masjid Ruhama Takengon."),
        ],
    }
    # json.dumps writes the lone surrogate as the escape "\ud83d", as a broken client would.
    response = tw.post(client, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["accepted"] == 2
    work()
    stored = descriptions(runtime)
    assert stored["1864250011223344001"] == BROKEN.replace("\ud83d", "\ufffd")
    assert stored["1864250011223344002"].startswith("Lampu jalan mati")


def test_a_polled_tweet_with_a_lone_surrogate_is_stored(runtime, x_api, tw, work):
    page = tw.load("mention_plain")
    page["data"][0]["text"] = "@lapor1708 " + BROKEN
    page["includes"]["users"][0]["name"] = "Siti \udc00"
    x_api.add_mentions(page)
    outcome = run_poll(runtime)
    assert (outcome.status, outcome.submitted) == ("done", {"queued": 1})
    work()
    assert list(descriptions(runtime).values()) == [BROKEN.replace("\ud83d", "\ufffd")]
