// Every page of the console, in menu order. Adding a page: write js/pages/<name>.js (see
// audit.js) and add one import and one entry here, in your own block.
import signin from './signin.js';
import audit from './audit.js';
// ---- bastion admin and replay pages (add below) ----
import bastion from './bastion.js';
import bastionSessions from './bastion_sessions.js';
import bastionReplay from './bastion_replay.js';
import hsm from './hsm.js';
// ---- bastion operator: hosts and H5 terminal (add below) ----
import hosts from './hosts.js';
import terminal from './terminal.js';

export default [
  signin,
  audit,
  // ---- bastion admin and replay pages ----
  bastion,
  bastionSessions,
  bastionReplay,
  hsm,
  // ---- bastion operator: hosts and H5 terminal ----
  hosts,
  terminal,
];
