/**
 * What the editor check reads and does in n8n's editor, with selectors that hold in n8n 1.x and
 * 2.x. The editor keeps hidden things in the DOM (the Settings tab, every dropdown's entries), so
 * everything read here is filtered to what is visible.
 */
import type { Locator, Page } from 'playwright-core';

/** Stands for the node's credential slot in the lists of visible parameters. */
export const CREDENTIAL_SLOT = '(credential)';

/** The little of the DOM the page functions below use (the project compiles without lib "dom"). */
interface DomElement {
	parentElement: DomElement | null;
	getAttribute(name: string): string | null;
	querySelector(selector: string): DomElement | null;
	querySelectorAll(selector: string): Iterable<DomElement>;
	checkVisibility(): boolean;
	classList: { contains(name: string): boolean };
}

const PARAMETERS = '[data-test-id="ndv"] [data-test-id="node-parameters"]';
/** The entries of an open options-type dropdown (each reads its name, then its description). */
const DROPDOWN_ENTRY = '[data-test-id="parameter-input-item"]:visible';
/** The entries of an open "Add Option" dropdown of a collection. */
const ADD_OPTION_ENTRY = '[data-test-id="collection-parameter-option"]:visible';

export function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The input of a node or credential parameter, by its name. */
export function parameterInput(scope: Page | Locator, name: string): Locator {
	return scope.locator(`[data-test-id="parameter-input-${name}"]`);
}

export async function openNodePanel(page: Page, nodeName: string): Promise<void> {
	await page.locator(`[data-test-id="canvas-node"][data-node-name="${nodeName}"]`).dblclick();
	await page.locator(PARAMETERS).waitFor();
}

/**
 * The parameters visible on the open panel's Parameters tab, top level only, in screen order:
 * their names (`label[for]` holds the name), and the credential slot as CREDENTIAL_SLOT.
 */
export async function visibleParameters(page: Page): Promise<string[]> {
	return await page.locator(PARAMETERS).evaluate((element, slot) => {
		const root = element as unknown as DomElement;
		const depth = (from: DomElement) => {
			let items = 0;
			for (let at: DomElement | null = from; at && at !== root; at = at.parentElement) {
				if (at.getAttribute('data-test-id') === 'parameter-item') items++;
			}
			return items;
		};
		const names: string[] = [];
		// In document order: 2.x puts the credential slot right above the first parameter it depends on.
		for (const label of root.querySelectorAll('[data-test-id="credentials-label"], [data-test-id="parameter-item"] label[for]')) {
			if (!label.checkVisibility()) continue;
			if (label.getAttribute('data-test-id') === 'credentials-label') names.push(slot);
			else if (depth(label) === 1) names.push(label.getAttribute('for') ?? '?');
		}
		return names;
	}, CREDENTIAL_SLOT);
}

/** Opens an options-type parameter's dropdown; returns the visible entries' texts. */
export async function openDropdown(page: Page, input: Locator): Promise<string[]> {
	await input.click();
	const entries = page.locator(DROPDOWN_ENTRY);
	await entries.first().waitFor();
	return await entries.allInnerTexts();
}

/** Picks the entry of an options-type parameter whose name is `label`. */
export async function pick(page: Page, input: Locator, label: string): Promise<void> {
	await input.click();
	const entry = page.locator(DROPDOWN_ENTRY).filter({ hasText: new RegExp(`^${escapeRegExp(label)}`) });
	await entry.first().click();
	await page.locator(DROPDOWN_ENTRY).first().waitFor({ state: 'hidden' });
}

/** Of the entries' texts (name then description), the labels each begins with, longest first. */
export function entryLabels(texts: string[], labels: string[]): string[] {
	const longestFirst = [...labels].sort((a, b) => b.length - a.length);
	return texts.map((text) => longestFirst.find((label) => text.trim().startsWith(label)) ?? `?${text.trim().slice(0, 40)}`);
}

/** The "Add Option" input of the collection `name` (2.x has a test id for it, 1.x a class). */
function addOptionInput(page: Page, collection: string): Locator {
	return page
		.locator(`${PARAMETERS} [data-test-id="parameter-item"]`, { has: page.locator(`label[for="${collection}"]`) })
		.locator(':is([data-test-id="collection-parameter-add"], .add-option) input')
		.first();
}

/**
 * Opens the collection's "Add Option" dropdown and returns its visible entries (display names),
 * in order; `whileOpen` runs before it closes again (a screenshot). Closed by a second click on
 * the input: Escape may close the whole panel.
 */
export async function readAddOption(page: Page, collection: string, whileOpen?: () => Promise<unknown>): Promise<string[]> {
	const input = addOptionInput(page, collection);
	await input.scrollIntoViewIfNeeded();
	await input.click();
	const entries = page.locator(ADD_OPTION_ENTRY);
	await entries.first().waitFor();
	const labels = (await entries.allInnerTexts()).map((text) => text.trim());
	await whileOpen?.();
	await input.click();
	await entries.first().waitFor({ state: 'hidden' });
	return labels;
}

/** Adds the option with display name `label` to the collection, and waits for its input. */
export async function addOption(page: Page, collection: string, label: string, name: string): Promise<void> {
	const input = addOptionInput(page, collection);
	await input.scrollIntoViewIfNeeded();
	await input.click();
	await page.locator(ADD_OPTION_ENTRY).filter({ hasText: new RegExp(`^${escapeRegExp(label)}$`) }).click();
	await parameterInput(page.locator(PARAMETERS), name).waitFor();
}

/** Switches a boolean parameter on (a click on its switch, unless it is on already). */
export async function switchOn(scope: Page | Locator, name: string): Promise<void> {
	const toggle = parameterInput(scope, name).locator('.el-switch').first();
	const isOn = await toggle.evaluate((element) => (element as unknown as DomElement).classList.contains('is-checked'));
	if (!isOn) await toggle.click();
	await parameterInput(scope, name).locator('.el-switch.is-checked').waitFor();
}

/** Opens the dialog of a new credential from the node's credential select; returns the dialog. */
export async function openNewCredential(page: Page): Promise<Locator> {
	await page.locator('[data-test-id="node-credentials-select"]').click();
	await page.locator('[data-test-id="node-credentials-select-item-new"]:visible').click();
	const dialog = page.locator('[data-test-id="editCredential-modal"]');
	await dialog.locator('[data-test-id="credential-connection-parameter"]').first().waitFor();
	return dialog;
}

/** The first lines of the credential dialog: its name, then the credential type's display name. */
export async function credentialHeader(dialog: Locator): Promise<string[]> {
	const text = await dialog.innerText();
	return text.split('\n').map((line) => line.trim()).filter(Boolean).slice(0, 2);
}

/** The credential dialog's visible fields, by name, in screen order. */
export async function credentialFields(dialog: Locator): Promise<string[]> {
	return await dialog.evaluate((element) =>
		[...(element as unknown as DomElement).querySelectorAll('[data-test-id="credential-connection-parameter"]')]
			.filter((field) => field.checkVisibility())
			.map((field) => {
				const inputs = [...field.querySelectorAll('[data-test-id^="parameter-input-"]')]
					.map((input) => input.getAttribute('data-test-id') ?? '')
					.filter((id) => !/^parameter-input-(field|hint|item)$/.test(id));
				return inputs[0]?.slice('parameter-input-'.length) ?? '?';
			}),
	);
}
