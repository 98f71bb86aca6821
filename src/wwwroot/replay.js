// CharWeb's replay panel: plays a chardev's asciicast recording (record: true) with asciinema-player,
// with its own seek bar. The cast is fetched with the page's api() so an API key in storage is sent.
window.CharWebReplay = (() => {
  'use strict';

  const $ = id => document.getElementById(id);
  let player = null;

  /** Opens the panel on chardev `id`'s recording; `api(path)` is the page's fetch with credentials. */
  async function open(id, api) {
    close();
    const response = await api(`/api/chardevs/${encodeURIComponent(id)}/recording`);
    if (!response.ok) throw new Error(`recording: ${response.status}`);
    const text = await response.text();
    $('replay-title').textContent = `Replay of ${id}`;
    $('replay-panel').hidden = false;
    player = AsciinemaPlayer.create({ data: text }, $('replay-player'), {
      preload: true, fit: 'width', terminalFontSize: '14px', theme: 'asciinema',
    });
    // No idleTimeLimit: the player's time axis stays the recording's, the one ?from=&to= speak.
    // For the browser tests and devtools: seek(), getCurrentTime(), getDuration().
    window.charweb.replay = player;
    return player;
  }

  function close() {
    if (player) player.dispose();
    player = null;
    if (window.charweb) window.charweb.replay = null;
    $('replay-player').replaceChildren();
    $('replay-panel').hidden = true;
  }

  $('replay-close').addEventListener('click', close);
  return { open, close };
})();
