// A malformed or over-limit request stream. After one, the byte stream can no
// longer be framed, so (as Redis does) the server replies with the message and
// closes the connection.

export class RespProtocolError extends Error {
  override name = 'RespProtocolError';
}
