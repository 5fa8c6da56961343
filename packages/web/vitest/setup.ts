import { cleanup } from "@testing-library/preact";
import { afterEach } from "vitest";

// Each test starts with an empty page and an empty tab session.
afterEach(() => {
  cleanup();
  sessionStorage.clear();
  localStorage.clear();
  history.replaceState(null, "", "/");
});
