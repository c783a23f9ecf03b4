/**
 * The first Ctrl-C aborts the run; whoever is drawing on the terminal (a live progress block)
 * prints the notice itself so it lands above the block instead of being erased by the next
 * redraw, and says so here. main.ts prints it otherwise.
 */
export const INTERRUPT_NOTICE = 'Interrupted: finishing the calls in flight and saving the state (Ctrl-C again to quit at once)…';

export const interruptNotice = { shown: false };
