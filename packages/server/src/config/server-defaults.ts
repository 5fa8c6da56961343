/**
 * The server's address and home by default. The schema declares them; the
 * client commands, which find a local server without loading the schema,
 * read the same constants.
 */
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8080;
export const DEFAULT_HOME = "./.botbox";
export const DEFAULT_URL = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;
