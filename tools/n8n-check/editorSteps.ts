/**
 * The editor check's steps past the first look (editorChecks.ts runs them): Send Mode, Delivery
 * → Pickup Directory and the credential dialog, and what each step records.
 */
import { join } from 'node:path';

import type { Locator, Page } from 'playwright-core';

import type { EditorExpectations } from './editorExpectations';
import {
	credentialFields,
	credentialHeader,
	entryLabels,
	openDropdown,
	parameterInput,
	pick,
	readAddOption,
	switchOn,
	visibleParameters,
} from './editorPage';
import type { NodeDescription } from './nodeDescription';
import type { TargetReport } from './report';

/** "seen/expected" for a failure: the whole list seen, then what is missing and what is extra. */
export function difference(seen: string[], expected: string[]): string {
	const missing = expected.filter((name) => !seen.includes(name));
	const extra = seen.filter((name) => !expected.includes(name));
	return `seen:     ${seen.join(', ')}\nexpected: ${expected.join(', ')}\nmissing:  ${missing.join(', ') || '-'}\nextra:    ${extra.join(', ') || '-'}`;
}

export const sameSet = (seen: string[], expected: string[]) =>
	seen.length === expected.length && expected.every((name) => seen.includes(name));

export class EditorCheck {
	private shots = 0;

	/** What the check is doing, for the failure of an error. */
	doing = 'opening a page';

	constructor(
		private readonly report: TargetReport,
		private readonly page: Page,
		private readonly node: NodeDescription,
		private readonly folder: string,
		private readonly expected: EditorExpectations,
	) {}

	expect(name: string, ok: boolean, detail: string): boolean {
		return this.report.expect(`editor: ${name}`, ok, detail);
	}

	/** A step's precondition: false (and a failed check) when the editor does not offer it. */
	offers(what: string, ok: boolean, seen: string[]): boolean {
		return ok || this.expect(what, false, `not there, so its checks were skipped; seen: ${seen.join(', ')}`);
	}

	async shot(name: string): Promise<void> {
		this.shots++;
		const file = join(this.folder, `${String(this.shots).padStart(2, '0')}-${name}.png`);
		await this.page.screenshot({ path: file, animations: 'disabled' });
	}

	/** The "Add Option" list in a state: every option of the version but those the state keeps out. */
	async addOptionList(state: { added: string[]; gateOn: boolean; html: boolean; pickup: boolean }, shot?: string) {
		const { options, pickup } = this.expected;
		const out = new Set([...state.added, ...options.never, ...options.behindChoice]);
		if (!state.gateOn) options.gated.forEach((name) => out.add(name));
		if (!state.html) options.htmlOnly.forEach((name) => out.add(name));
		if (state.pickup) pickup?.smtpOnlyOptions.forEach((name) => out.add(name));
		const all = this.node.collectionOptions(options.collection);
		const expected = all.filter(([name]) => !out.has(name)).map(([, label]) => label);
		const seen = await readAddOption(this.page, options.collection, shot ? () => this.shot(shot) : undefined);
		const label = (name: string) => this.node.optionLabel(options.collection, name);
		return { seen, expected, label, listed: (name: string) => seen.includes(label(name)) };
	}
}

type SendMode = NonNullable<EditorExpectations['sendMode']>;

export async function sendModeSteps(check: EditorCheck, page: Page, node: NodeDescription, sendMode: SendMode) {
	const { name, choices, reveals } = sendMode;
	const show = (entries: Array<[string, string]>) => entries.map(([label, value]) => `${label} (${value})`).join(', ');
	const served = node.choices(name);
	check.expect(`${name} offers ${show(choices)}`, show(served) === show(choices), `served: ${show(served)}`);
	const input = parameterInput(page, name);
	const labels = choices.map(([label]) => label);
	const entries = entryLabels(await openDropdown(page, input), labels);
	await input.click();
	check.expect(`${name}'s dropdown lists ${labels.join(', ')}`, entries.join() === labels.join(), `seen: ${entries.join(', ')}`);
	await pick(page, input, node.choiceLabel(name, reveals.value));
	await parameterInput(page, reveals.parameter).waitFor();
	const shown = await visibleParameters(page);
	check.expect(
		`${name} ${reveals.value} shows ${reveals.parameter} right below it`,
		shown[shown.indexOf(name) + 1] === reveals.parameter,
		`seen in order: ${shown.join(', ')}`,
	);
	await check.shot(`${name}-${reveals.value}`);
	await pick(page, input, node.choiceLabel(name, choices[0][1]));
	await parameterInput(page, reveals.parameter).waitFor({ state: 'hidden' });
}

type Pickup = NonNullable<EditorExpectations['pickup']>;

export async function pickupSteps(check: EditorCheck, page: Page, node: NodeDescription, pickup: Pickup, state: { added: string[]; before: string[] }) {
	const { before, added } = state;
	await pick(page, parameterInput(page, 'delivery'), node.choiceLabel('delivery', 'pickupDirectory'));
	await parameterInput(page, 'pickupDirectory').waitFor();
	const after = await visibleParameters(page);
	const hidden = before.filter((name) => !after.includes(name));
	const shown = after.filter((name) => !before.includes(name));
	check.expect(
		`Delivery Pickup Directory hides ${pickup.hidden.join(', ')} and shows ${pickup.shown.join(', ')}`,
		sameSet(hidden, pickup.hidden) && sameSet(shown, pickup.shown),
		`hidden: ${hidden.join(', ') || '-'}\nshown: ${shown.join(', ') || '-'}\nbefore: ${before.join(', ')}\nafter: ${after.join(', ')}`,
	);
	await check.shot('node-panel-pickup');
	const list = await check.addOptionList({ added, gateOn: added.length > 0, html: true, pickup: true }, 'add-option-pickup');
	check.expect(
		`Delivery Pickup Directory: "Add Option" lacks ${pickup.smtpOnlyOptions.map(list.label).join(', ') || 'nothing'}`,
		sameSet(list.seen, list.expected),
		difference(list.seen, list.expected),
	);
	await pick(page, parameterInput(page, 'delivery'), node.choiceLabel('delivery', 'smtp'));
	await page.locator('[data-test-id="node-credentials-select"]').waitFor();
}

type Credential = EditorExpectations['credential'];

export async function credentialSteps(check: EditorCheck, page: Page, dialog: Locator, credential: Credential, plainText: string) {
	const { title, toggle, expert, tlsOnly } = credential;
	const header = await credentialHeader(dialog);
	check.expect(`"Create new credential" opens a ${title} credential`, header.includes(title), `dialog header: ${header.join(' / ')}`);
	const opened = await credentialFields(dialog);
	const initial = toggle ? [...credential.fields, toggle] : [...credential.fields, ...expert];
	check.expect(`new credential shows ${initial.join(', ')}`, sameSet(opened, initial), difference(opened, initial));
	await check.shot('credential-new');
	let all = opened;
	if (toggle && check.offers(`${toggle} is in the credential dialog`, opened.includes(toggle), opened)) {
		await switchOn(dialog, toggle);
		await parameterInput(dialog, expert[0]).waitFor();
		all = await credentialFields(dialog);
		const expected = [...initial, ...expert];
		check.expect(`${toggle} on shows ${expert.join(', ')}`, sameSet(all, expected), difference(all, expected));
		await parameterInput(dialog, all[all.length - 1]).scrollIntoViewIfNeeded();
		await check.shot(`credential-${toggle}`);
	}
	await pick(page, parameterInput(dialog, 'connection'), plainText);
	if (tlsOnly.length) await parameterInput(dialog, tlsOnly[0]).waitFor({ state: 'hidden' });
	const plain = await credentialFields(dialog);
	const expected = all.filter((name) => !tlsOnly.includes(name));
	check.expect(`Connection Security Plain Text hides ${tlsOnly.join(', ')}`, sameSet(plain, expected), difference(plain, expected));
	await parameterInput(dialog, plain[plain.length - 1]).scrollIntoViewIfNeeded();
	await check.shot('credential-plain-text');
}
