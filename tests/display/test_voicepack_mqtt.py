"""The hub sends its voice pack to the display through a real broker: retained clips and manifest, installed
on the display with an atomic switch, replaced by a newer pack, kept across a restart, cleared."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.display_node.announcer import Call
from firmware.display_node.audio import FakeSink
from firmware.display_node.config import DisplayConfig
from firmware.display_node.node import DisplayNode
from hub.voicepack import VoiceDistributor, VoicePacks
from protocol import MqttLink, Topics
from protocol.speech import pack_script
from tests.display.test_voicepack import CountingEngine
from tests.hub.test_voicepack import spoken
from tests.support import wait_until

SCRIPT = pack_script(["A"], ["Loket 1"])


def display(url: str, site: str, tmp_path: Path, engine: CountingEngine) -> DisplayNode:
    config = DisplayConfig(
        site=site,
        node_id="display-1",
        mqtt={"url": url},
        voice={"pack_dir": str(tmp_path / "display-pack"), "cache_dir": str(tmp_path / "clips")},
    )
    return DisplayNode(config, sink=FakeSink(speed=50.0), engine=engine)


@pytest.mark.slow
def test_the_pack_reaches_the_display_and_is_replaced(mqtt_url: str, site: str, tmp_path: Path) -> None:
    packs = VoicePacks(tmp_path / "hub-pack")
    for token in SCRIPT:
        packs.save_draft(token.key, spoken(0.25))
    link = MqttLink(mqtt_url, client_id=f"hub-{site}")
    link.start(wait=10)
    VoiceDistributor(link, Topics(site), packs)  # publishes whenever the pack changes
    engine = CountingEngine()
    node = display(mqtt_url, site, tmp_path, engine)
    node.start(wait=10)
    try:
        first = packs.publish_draft("Suara Bu Ani", SCRIPT)
        assert wait_until(lambda: getattr(node.announcer.pack, "version", None) == first.version, 20)
        assert node.packs.current_version() == first.version
        _text, clip = node.announcer.voice(Call("c1", "A-021", 1, "Loket 1"))
        assert clip is not None and clip.peak() > 1000  # every word from the recorded voice

        (packs.draft_dir / "belas.wav").unlink()  # a second pack without "belas"
        second = packs.publish_draft("Suara Bu Ani (2)", SCRIPT)
        assert wait_until(lambda: getattr(node.announcer.pack, "version", None) == second.version, 20)
        assert not (tmp_path / "display-pack" / first.version).exists()
        _text, clip = node.announcer.voice(Call("c2", "A-012", 1, "Loket 1"))
        assert clip is not None and clip.peak() == 0  # synthesized whole (the stand-in engine is silent)
        _text, clip = node.announcer.voice(Call("c3", "A-020", 1, "Loket 1"))
        assert clip is not None and clip.peak() > 1000
    finally:
        node.stop()
    # a restart without the hub: the pack is on disk
    again = display("mqtt://127.0.0.1:9", site, tmp_path, CountingEngine())
    assert again.announcer.pack is not None and again.announcer.pack.version == second.version
    # the hub clears the pack: the display forgets it
    node = display(mqtt_url, site, tmp_path, CountingEngine())
    node.start(wait=10)
    try:
        assert wait_until(lambda: node.announcer.pack is not None, 10)
        packs.remove()  # the admin's "Hapus paket": the hub clears the retained pack
        assert wait_until(lambda: node.announcer.pack is None, 10)
        assert node.packs.current() is None
    finally:
        node.stop()
        link.stop()
