/**
 * Previous and next buttons around the page's number: for a list the API
 * pages (files, by cursor) or one the console pages itself (processes).
 */
export function Pager(props: {
  /** 1 for the first page. */
  page: number;
  /** How many pages there are, where that is known. */
  pages?: number;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}) {
  return (
    <div class="toolbar">
      <button type="button" disabled={props.page <= 1} onClick={props.onPrevious}>
        Previous page
      </button>
      <span class="muted">
        Page {props.page}
        {props.pages !== undefined && ` of ${props.pages}`}
      </span>
      <button type="button" disabled={!props.hasNext} onClick={props.onNext}>
        Next page
      </button>
    </div>
  );
}
