import { render } from "preact";
import { html } from "htm/preact";
import { App } from "./views/app.js";
import "./styles.css";

render(html`<${App} />`, document.getElementById("app"));
