import { randomBytes } from "node:crypto";

/**
 * The shell side of an import, run by the agent in its data folder (/data in
 * a workspace) with BOTBOX_IMPORT_DIR naming a fresh work folder there. The
 * work folder sits inside /data so that every move is a rename on one file
 * system, and /data itself is a mount point that cannot be renamed.
 * POSIX sh, GNU or BusyBox tar/cp/mv.
 */

/** Work folders are named `<prefix><server run id>-<random hex>`; exports leave them out. */
export const IMPORT_DIR_PREFIX = ".botbox-import-";

/**
 * Names this server process: a work folder that carries another run's id
 * was left by an import that died with its server (or its bot), so the
 * start-up sweep (stale-transfer-sweep.ts) may remove it.
 */
export const SERVER_RUN_ID = randomBytes(6).toString("hex");

export const newImportDirName = () => `${IMPORT_DIR_PREFIX}${SERVER_RUN_ID}-${randomBytes(8).toString("hex")}`;

const PRELUDE = `set -u
W="$BOTBOX_IMPORT_DIR"
`;

// Every entry of a folder, dotfiles included; unmatched globs are skipped.
const EACH_ENTRY = (folder: string) =>
  `for e in "${folder}"/* "${folder}"/.[!.]* "${folder}"/..?*; do
    [ -e "$e" ] || [ -L "$e" ] || continue`;

const SCRIPTS = {
  // The archive arrives already checked (TarMemberCheck) and uncompressed.
  // --no-same-owner: the archive's owners mean nothing in this namespace and
  // chown to an unmapped id would fail.
  extract: `${PRELUDE}mkdir -m 700 "$W" && mkdir "$W/new" || exit 1
exec tar -xf - -C "$W/new" --no-same-owner --preserve-permissions`,

  discard: `${PRELUDE}rm -rf -- "$W"`,

  // Hard links make the merge cost proportional to the number of entries,
  // not to their size; existing files the archive also holds are replaced.
  merge: `${PRELUDE}status=0
${EACH_ENTRY("$W/new")}
  cp -a -l --remove-destination -- "$e" . || status=1
done
rm -rf -- "$W"
exit $status`,

  // The current contents move aside, the new ones move in; if either step
  // fails, whatever came in is removed and the old contents move back, so a
  // failed replace loses nothing.
  replace: `${PRELUDE}move_all() {
  ${EACH_ENTRY("$1")}
    [ "$e" = "./$W" ] && continue
    mv -- "$e" "$2"/ || return 1
  done
}
restore_old() {
  move_all "$W/old" . || { echo "restoring the old data failed; it is kept in /data/$W/old" >&2; exit 1; }
  rm -rf -- "$W"
}
mkdir "$W/old" || exit 1
if ! move_all . "$W/old"; then
  restore_old
  echo "could not move the current data aside; nothing was changed" >&2
  exit 1
fi
if ! move_all "$W/new" .; then
  ${EACH_ENTRY(".")}
    [ "$e" = "./$W" ] || rm -rf -- "$e"
  done
  restore_old
  echo "could not move the imported data into place; the old data was restored" >&2
  exit 1
fi
rm -rf -- "$W" || echo "the replaced data could not all be removed from /data/$W" >&2
exit 0`,
} as const;

export type ImportStep = keyof typeof SCRIPTS;

export const importScript = (step: ImportStep): string => SCRIPTS[step];
