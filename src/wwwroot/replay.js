// CharWeb's replay panel: plays a chardev's asciicast recording (record: true) with asciinema-player,
// with its own seek bar. The cast is fetched with the page's api() so an API key in storage is sent.
window.CharWebReplay = (() => {
  'use strict';

  const $ = id => document.getElementById(id);
  let player = null;
  let shown = null;

  /** Opens the panel on chardev `id`'s current recording, listing its rotated ones to pick from; `api(path)` is the page's fetch with credentials. */
  async function open(id, api) {
    close();
    const base = `/api/chardevs/${encodeURIComponent(id)}`;
    const listed = await api(`${base}/recordings`);
    if (!listed.ok) throw new Error(`recordings: ${listed.status}`);
    const files = await listed.json();
    const select = $('replay-file');
    select.replaceChildren(...files.map(file => {
      const option = document.createElement('option');
      option.value = file.name;
      option.textContent = file.current ? `${file.name} (current)` : `${file.name} (until ${new Date(file.to).toLocaleString()})`;
      return option;
    }));
    shown = { base, api };
    $('replay-title').textContent = `Replay of ${id}`;
    $('replay-panel').hidden = false;
    return play(files.length ? files[0].name : null);
  }

  async function play(name) {
    if (player) player.dispose();
    player = null;
    $('replay-player').replaceChildren();
    const { base, api } = shown;
    const response = await api(name ? `${base}/recordings/${encodeURIComponent(name)}` : `${base}/recording`);
    if (!response.ok) throw new Error(`recording: ${response.status}`);
    const text = await response.text();
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
    shown = null;
    if (window.charweb) window.charweb.replay = null;
    $('replay-player').replaceChildren();
    $('replay-panel').hidden = true;
  }

  $('replay-close').addEventListener('click', close);
  $('replay-file').addEventListener('change', event => {
    if (shown) play(event.target.value).catch(err => { $('replay-title').textContent = err.message; });
  });
  return { open, close };
})();
