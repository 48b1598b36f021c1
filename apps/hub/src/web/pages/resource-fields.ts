import { type Raw, html } from '../html/render';
import type { WebSettings } from '../web-settings';

const MEMORY_STEPS_MB = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];

/** The CPU and memory inputs of every start form, within the site's limits. */
export function resourceFields(s: WebSettings, chosen: { cpus?: number; memoryMb?: number }): Raw {
  const selected = chosen.memoryMb ?? s.CONDORHUB_DEFAULT_MEMORY_MB;
  const choices = MEMORY_STEPS_MB.filter((m) => m <= s.CONDORHUB_MAX_MEMORY_MB);
  // A value asked for before (or the site default) stays selectable even off the steps.
  if (!choices.includes(selected)) choices.push(selected);
  choices.sort((a, b) => a - b);
  return html`<label
      >CPUs
      <input
        type="number"
        name="cpus"
        min="1"
        max="${s.CONDORHUB_MAX_CPUS}"
        required
        value="${chosen.cpus ?? s.CONDORHUB_DEFAULT_CPUS}"
    /></label>
    <label
      >Memory
      <select name="memory_mb">
        ${choices.map(
          (m) =>
            html`<option value="${m}" ${m === selected ? 'selected' : ''}>
              ${m >= 1024 ? `${m / 1024} GB` : `${m} MB`}
            </option>`,
        )}
      </select></label
    >`;
}
