// One line about a message, for the thread list and pop-ups: "You: hi", "Bob sent an image", "Alice created Trip".
export function preview(message, me) {
  if (!message) return "";
  const name = message.owner?.name || "Someone";
  if (message.system_message) return `${name} ${message.body}`;
  const who = message.owner_id === me?.provider_id ? "You" : name;
  if (message.type === 1) return `${who} sent an image`;
  if (message.type === 2) return `${who} sent a file`;
  return `${who}: ${message.body}`;
}
