// Starts GOV.UK Frontend's components (service navigation menu, error summary focus, password
// reveal). Every page works without it.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
