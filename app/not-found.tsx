import Link from "next/link";

export default function NotFound() {
  return (
    <>
      <header className="page-header">
        <div>
          <h1>Not found</h1>
          <p>There is nothing here, or it has been deleted.</p>
        </div>
      </header>
      <p>
        <Link href="/runs">Go to flow runs</Link>
      </p>
    </>
  );
}
