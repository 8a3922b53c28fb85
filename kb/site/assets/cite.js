// Entry pages: "Copy" buttons for the formatted reference and the BibTeX.
// Without JavaScript (or without clipboard access) the buttons stay hidden and the text can
// be selected as usual.
for (const button of document.querySelectorAll("button.copy[data-copy]")) {
  if (!navigator.clipboard) break;
  const label = button.textContent;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const text = document.getElementById(button.dataset.copy).textContent.trim();
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = `${label} ✓`;
    } catch {
      button.textContent = `${label} ✗`;
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
}
