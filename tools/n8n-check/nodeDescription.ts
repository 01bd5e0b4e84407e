/**
 * The node's description as n8n serves it (/types/nodes.json), read for one type version: the
 * editor shows display names, the expectations speak of names, and this maps between them.
 */

export interface Property {
	name: string;
	displayName: string;
	type?: string;
	displayOptions?: { show?: Record<string, unknown[]>; hide?: Record<string, unknown[]> };
	options?: Array<{ name: string; value?: unknown; displayName?: string; displayOptions?: Property['displayOptions'] }>;
}

export interface NodeTypeDescription {
	name: string;
	version: number | number[];
	defaultVersion?: number;
	properties: Property[];
}

/** Whether a version condition of displayOptions (a number or n8n's `_cnd`) holds for `version`. */
function versionMatches(condition: unknown, version: number): boolean {
	if (typeof condition === 'number') return condition === version;
	const cnd = (condition as { _cnd?: Record<string, number> } | null)?._cnd;
	if (!cnd) return false;
	const [[operator, value]] = Object.entries(cnd);
	switch (operator) {
		case 'eq':
			return version === value;
		case 'not':
			return version !== value;
		case 'gte':
			return version >= value;
		case 'lte':
			return version <= value;
		case 'gt':
			return version > value;
		case 'lt':
			return version < value;
		default:
			return false;
	}
}

/** Whether the property exists in `version` (its `@version` display options), whatever else it shows on. */
function inVersion(property: Pick<Property, 'displayOptions'>, version: number): boolean {
	const show = property.displayOptions?.show?.['@version'];
	const hide = property.displayOptions?.hide?.['@version'];
	if (show && !show.some((condition) => versionMatches(condition, version))) return false;
	return !hide?.some((condition) => versionMatches(condition, version));
}

export class NodeDescription {
	constructor(
		readonly type: NodeTypeDescription,
		readonly version: number,
	) {}

	get versions(): number[] {
		return Array.isArray(this.type.version) ? this.type.version : [this.type.version];
	}

	get defaultVersion(): number {
		return this.type.defaultVersion ?? Math.max(...this.versions);
	}

	/** The top-level parameter `name` of this version. */
	parameter(name: string): Property | undefined {
		return this.type.properties.find((property) => property.name === name && inVersion(property, this.version));
	}

	/** The entries of an options parameter: [label, value]. */
	choices(name: string): Array<[string, string]> {
		return (this.parameter(name)?.options ?? []).map((option) => [option.name, String(option.value)]);
	}

	/** The label of one entry of an options parameter (the value itself when there is none). */
	choiceLabel(name: string, value: string): string {
		return this.choices(name).find(([, candidate]) => candidate === value)?.[0] ?? value;
	}

	/** The options of collection `name` in this version, in description order: [name, display name]. */
	collectionOptions(name: string): Array<[string, string]> {
		return (this.parameter(name)?.options ?? [])
			.filter((option) => inVersion(option, this.version))
			.map((option) => [option.name, option.displayName ?? option.name]);
	}

	/**
	 * The display name of collection option `option`: this version's, or any version's if this one
	 * has no such option (to tell that it is absent), or the name itself.
	 */
	optionLabel(collection: string, option: string): string {
		const here = this.collectionOptions(collection).find(([name]) => name === option);
		if (here) return here[1];
		for (const property of this.type.properties) {
			if (property.name !== collection) continue;
			const found = property.options?.find((entry) => entry.name === option);
			if (found?.displayName) return found.displayName;
		}
		return option;
	}
}
