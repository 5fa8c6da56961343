import { render } from "preact";

render(<p>botbox console</p>, document.getElementById("app")!);
