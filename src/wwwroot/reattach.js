// CharWeb's console page, in a cluster: a console relayed from another node whose owner stopped answering (the
// relay's `unreachable` event, then the stream's end) is attached again until the owner answers. The page keeps its
// screen meanwhile; once the owner answers, its history replaces it. The wait is kept in `state.awaitOwner`.
'use strict';

window.CharWebReattach = ({ state, attach, current, term }) => {

  /** The relay said the owner of `id` stopped answering. */
  function ownerLost(id) {
    if (state.awaitOwner?.id !== id) state.awaitOwner = { id, tries: 0, timer: 0, away: current()?.state === 'unreachable' };
  }

  /**
   * Tries again after 1 s, 2 s, 4 s ... at most 10 s apart, while this chardev is the one open and still listed; while
   * the list shows it unreachable nothing is tried, and the list showing it back tries at once (ifBack).
   */
  function later(id) {
    const wait = state.awaitOwner;
    const delay = Math.min(1000 * 2 ** wait.tries++, 10000);
    clearTimeout(wait.timer);
    wait.timer = setTimeout(() => {
      if (state.awaitOwner !== wait || state.current !== id || state.subscription) return;
      const listed = state.chardevs.get(id);
      if (!listed) { state.awaitOwner = null; return; }
      if (listed.state === 'unreachable') wait.away = true; else attach(true);
    }, delay);
  }

  /** The list showed the awaited chardev unreachable and now shows it back: attach now rather than at the next try. */
  function ifBack() {
    const wait = state.awaitOwner, listed = current();
    if (!wait || wait.id !== state.current || !listed) return;
    if (listed.state === 'unreachable') { wait.away = true; return; }
    if (!wait.away || state.subscription) return;
    wait.away = false;
    clearTimeout(wait.timer);
    attach(true);
  }

  /** Stops waiting for an owner: another chardev was opened. */
  function stop() {
    if (state.awaitOwner) clearTimeout(state.awaitOwner.timer);
    state.awaitOwner = null;
  }

  /** The owner answered (output or an event of its own): the console is back. */
  function back(id) {
    const wait = state.awaitOwner;
    if (wait?.id !== id) return;
    clearTimeout(wait.timer);
    state.awaitOwner = null;
    if (wait.tries > 0) term.reset();
  }

  return { ownerLost, later, ifBack, stop, back };
};
