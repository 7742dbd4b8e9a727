// Offline and installable: filled in by issue 27 item 1.
export {};
