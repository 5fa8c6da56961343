import type { ComponentChildren, VNode } from "preact";

/**
 * A labelled table in its frame (which scrolls sideways in a narrow
 * window): a header row, a row per item, and a line saying there are none
 * once the items have loaded.
 */
export function DataTable<T>(props: {
  label: string;
  columns: string[];
  /** Undefined while loading: no rows and no "none" line yet. */
  rows: T[] | undefined;
  row: (item: T) => VNode;
  empty: ComponentChildren;
}) {
  return (
    <div class="table-wrap">
      <table aria-label={props.label}>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th key={column}>{column}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows?.map(props.row)}
          {props.rows?.length === 0 && (
            <tr>
              <td colSpan={props.columns.length}>{props.empty}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
