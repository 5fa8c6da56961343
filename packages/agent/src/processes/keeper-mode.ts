export const KEEPER_FLAG = "--botbox-keeper";

/** The folder a keeper was started for, when this process is one. */
export function keeperDirFromArgv(argv: string[]): string | undefined {
  const index = argv.indexOf(KEEPER_FLAG);
  return index >= 0 ? argv[index + 1] : undefined;
}
