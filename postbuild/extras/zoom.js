// Stub until the zoom module lands: the contract is in README.md.
export {};
