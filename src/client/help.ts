// The shell's help: one row per command a user is likely to type, with its
// syntax and a one-line description. The server's command table decides what
// runs; this table only explains and completes names, so a command missing
// here still works.

interface CommandHelp {
  name: string;
  args: string;
  summary: string;
}

const COMMANDS: readonly CommandHelp[] = [
  { name: 'GET', args: 'key', summary: 'The value of key, or (nil) when it does not exist.' },
  {
    name: 'SET',
    args: 'key value [NX | XX] [GET]',
    summary: 'Sets key to value; NX only if absent, XX only if present, GET returns the old value.',
  },
  { name: 'PUT', args: 'key value', summary: 'Sets key to value (the original name of SET).' },
  {
    name: 'CAS',
    args: 'key expected new',
    summary: 'Compare-and-set: writes new only if the value is expected; (integer) 1 if it did.',
  },
  { name: 'DEL', args: 'key [key ...]', summary: 'Deletes keys; answers how many existed.' },
  { name: 'DELETE', args: 'key [key ...]', summary: 'Same as DEL.' },
  { name: 'EXISTS', args: 'key [key ...]', summary: 'How many of the keys exist.' },
  { name: 'UNLINK', args: 'key [key ...]', summary: 'Same as DEL.' },
  { name: 'TYPE', args: 'key', summary: 'string when key exists (every value is), else none.' },
  { name: 'TTL', args: 'key', summary: '-1 when key exists (keys do not expire), -2 when not.' },
  { name: 'MGET', args: 'key [key ...]', summary: 'The values of several keys.' },
  { name: 'MSET', args: 'key value [key value ...]', summary: 'Sets several keys at once.' },
  { name: 'SETNX', args: 'key value', summary: 'Sets key only if it does not exist; 1 if it did.' },
  { name: 'GETSET', args: 'key value', summary: 'Sets key and answers its old value (or nil).' },
  { name: 'GETDEL', args: 'key', summary: 'Deletes key and answers the value it had (or nil).' },
  {
    name: 'APPEND',
    args: 'key value',
    summary: 'Adds value to the end of key; answers the length.',
  },
  { name: 'STRLEN', args: 'key', summary: 'The length of the value of key (0 when absent).' },
  {
    name: 'GETRANGE',
    args: 'key start end',
    summary: 'The bytes of the value from start to end (included); -1 is the last.',
  },
  {
    name: 'INCR',
    args: 'key',
    summary: 'Adds 1 to the integer in key (absent: 0); the new value.',
  },
  { name: 'DECR', args: 'key', summary: 'Subtracts 1 from the integer in key; the new value.' },
  { name: 'INCRBY', args: 'key n', summary: 'Adds n to the integer in key; the new value.' },
  { name: 'DECRBY', args: 'key n', summary: 'Subtracts n from the integer in key; the new value.' },
  {
    name: 'INCRBYFLOAT',
    args: 'key n',
    summary: 'Adds the number n to the number in key (absent: 0), as Redis does; the new value.',
  },
  {
    name: 'SCAN',
    args: 'cursor [MATCH pattern] [COUNT n]',
    summary: 'Walks the keys a page at a time; start at cursor 0, stop when it comes back 0.',
  },
  { name: 'DBSIZE', args: '', summary: 'How many keys there are.' },
  { name: 'PING', args: '[message]', summary: 'Answers PONG (or the message): is the node up?' },
  { name: 'ECHO', args: 'message', summary: 'Answers the message.' },
  { name: 'INFO', args: '[section]', summary: 'Facts about the node: version, clients, storage.' },
  { name: 'HELLO', args: '[2 | 3]', summary: 'Chooses the protocol version (RESP2 or RESP3).' },
  { name: 'COMMAND', args: '[COUNT | DOCS [name ...]]', summary: 'The commands the node knows.' },
  { name: 'CONFIG', args: 'GET parameter', summary: 'Reads a setting of the node.' },
  {
    name: 'CLIENT',
    args: 'SETNAME name | GETNAME | ID',
    summary: 'Names this connection or asks its name or id.',
  },
  { name: 'SELECT', args: '0', summary: 'Selects database 0 (the only one).' },
  {
    name: 'READONLY',
    args: '',
    summary: 'Reads on this connection come from this node: faster, possibly stale.',
  },
  { name: 'READWRITE', args: '', summary: 'Back to up-to-date (linearizable) reads, the default.' },
  {
    name: 'CLUSTER',
    args: 'STATUS | ADD id peer-address | REMOVE id | TRANSFER-LEADER id',
    summary: 'Shows or changes the cluster members and leader.',
  },
];

/** Commands of the shell itself, not sent to the node. */
const SHELL_COMMANDS: readonly CommandHelp[] = [
  { name: 'help', args: '[command]', summary: 'This list, or the details of one command.' },
  { name: 'clear', args: '', summary: 'Clears the screen.' },
  { name: 'quit', args: '', summary: 'Leaves the shell (so do exit and Ctrl-D).' },
  { name: 'exit', args: '', summary: 'Leaves the shell.' },
];

const ALL = [...COMMANDS, ...SHELL_COMMANDS];
const NAME_WIDTH = Math.max(...ALL.map((c) => c.name.length));

/** The text `help` prints: every command, or one (null when unknown). */
export function helpText(topic?: string): string | null {
  if (topic === undefined || topic === '') {
    const row = (c: CommandHelp): string => `  ${c.name.padEnd(NAME_WIDTH)}  ${c.summary}`;
    return [
      'Commands (case does not matter; quote values with spaces: SET greeting "hello world"):',
      ...COMMANDS.map(row),
      '',
      'Shell:',
      ...SHELL_COMMANDS.map(row),
      '',
      'Type help <command> for its syntax, e.g. help SET.',
    ].join('\n');
  }
  const want = topic.toLowerCase();
  const c = ALL.find((x) => x.name.toLowerCase() === want);
  if (c === undefined) return null;
  return `${c.name}${c.args ? ' ' + c.args : ''}\n  ${c.summary}`;
}

/** readline completer: completes the command name (first word) in the case the user typed. */
export function completeCommand(line: string): [string[], string] {
  if (/\s/.test(line.trimStart())) return [[], line]; // past the first word: nothing to offer
  const word = line.trimStart();
  const upper = word === word.toUpperCase() && word !== '';
  const hits = ALL.map((c) => c.name)
    .filter((n) => n.toLowerCase().startsWith(word.toLowerCase()))
    .map((n) => (upper ? n.toUpperCase() : n.toLowerCase()));
  return [[...new Set(hits)], word];
}
